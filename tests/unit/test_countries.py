import holidays

from followup.domain.countries import HOLIDAY_COUNTRIES


def test_the_literal_country_list_matches_the_installed_holidays_package() -> None:
    assert {code for code in holidays.list_supported_countries() if len(code) == 2} == HOLIDAY_COUNTRIES
