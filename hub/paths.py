"""Path segment rules for routes whose templates overlap a neighbour's path, so that each
request reaches the operation the OpenAPI document gives it (concrete paths first).

`{country:country}` never takes `cdn` (`/v1/routes/cdn` is its own path, so `PUT` there
is 405, not a country named "cdn"); `{version:version}` never takes `1:publish`.
"""

from starlette.convertors import StringConvertor, register_url_convertor


class CountrySegment(StringConvertor):
    regex = "(?!cdn$)[^/]+"


class VersionSegment(StringConvertor):
    regex = "[^/:]+"


register_url_convertor("country", CountrySegment())
register_url_convertor("version", VersionSegment())
