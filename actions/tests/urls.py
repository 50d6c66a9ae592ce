from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RoutePattern


def url_names(namespace: str) -> set[str]:
    """The names of every URL of `namespace`, as "namespace:name"."""
    names = set()

    def walk(patterns, current):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or current)
            elif isinstance(pattern, URLPattern) and pattern.name and current == namespace:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names


def url_routes(language: str = "en") -> list[str]:
    """Every URL pattern given by a route, as its route with its parameters named and the language
    prefix filled in: "en/reporting/<str:unit>/workbook/". Patterns given by a regular expression
    (the admin's) are left out: they are reached through their own addresses."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern.pattern, LocalePrefixPattern):
                part = f"{language}/"
            elif isinstance(pattern.pattern, RoutePattern):
                part = str(pattern.pattern._route)
            else:
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                routes.append(prefix + part)

    walk(get_resolver().url_patterns, "")
    return routes
