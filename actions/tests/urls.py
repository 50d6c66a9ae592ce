from django.urls import URLPattern, URLResolver, get_resolver


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
