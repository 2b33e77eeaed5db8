"""Old public layer names (layers.catalogue.RENAMED, e.g. `xiaoqu` → `compounds`) keep answering:
a view wrapped here redirects a URL naming a layer by its old name, permanently, to the same URL
(same route, same other parts, same query) under the layer's key."""

import functools

from django.http import HttpResponsePermanentRedirect
from django.urls import reverse

from layers.catalogue import RENAMED


def renamed_layer_redirect(kwarg: str):
    """Wrap a view whose URL names a layer in `kwarg`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            key = RENAMED.get(kwargs.get(kwarg, ""))
            if key is None:
                return view(request, *args, **kwargs)
            match = request.resolver_match
            url = reverse(match.view_name, args=match.args, kwargs={**match.kwargs, kwarg: key})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

        return wrapped

    return decorate
