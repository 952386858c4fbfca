"""Rebuild shared/followup/messages/data/common_words.txt: lower-case English words that are common in use
(wordfreq's 30,000 most frequent) and listed in lower case by a dictionary (web2 and GCIDE via `english-words`),
so proper nouns ("London", "Kafka") are not in it.

The list decides one thing: whether the first word of a submitted phrase ("Design systems") is an ordinary word
that should be lower-cased when the phrase is placed mid-sentence. Run in a throwaway venv:

    python -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq english-words
    /tmp/wf/bin/python tools/build_common_words.py
"""

from pathlib import Path

from english_words import get_english_words_set  # type: ignore[import-not-found]
from wordfreq import top_n_list  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parents[1] / "shared/followup/messages/data/common_words.txt"


def main() -> None:
    dictionary = get_english_words_set(["web2", "gcide"], lower=False)
    lower_entries = {word for word in dictionary if word.islower()}
    common = sorted({word for word in top_n_list("en", 30000) if word.isalpha() and word in lower_entries})
    OUT.write_text("\n".join(common) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
