"""The site's language: Chinese unless the user picked another with the header's switch.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a field laptop with an
English Windows would get an English UI nobody asked for. Here only the language cookie that
`set_language` writes counts; everything else gets settings.LANGUAGE_CODE.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # Only pages are in a language; tiles and JSON must stay cacheable for everyone.
        if response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ("Cookie",))
            response.headers.setdefault("Content-Language", language)
        return response
