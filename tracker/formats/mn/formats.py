# Mongolian date and number formats: 2026.11.21, 1 234,5.
DATE_FORMAT = "Y оны n-р сарын j"
SHORT_DATE_FORMAT = "Y.m.d"
DATETIME_FORMAT = "Y оны n-р сарын j, H:i"
SHORT_DATETIME_FORMAT = "Y.m.d H:i"
YEAR_MONTH_FORMAT = "Y оны n-р сар"
MONTH_DAY_FORMAT = "n-р сарын j"
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
