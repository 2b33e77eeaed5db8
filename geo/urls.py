from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from geo import views
from tiles import pages

urlpatterns = [
    path("", pages.map_page, name="map"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: 中文 / English
    path("admin/", admin.site.urls),
    # Sign-in for planners, who need not be staff (the admin's login admits staff only).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One URLconf per capability package of layers/ (docs/architecture.md).
    path("", include("layers.map.urls")),
    path("", include("layers.lookup.urls")),
    path("", include("layers.editing.urls")),
    path("", include("layers.checks.urls")),
    path("", include("layers.analysis.urls")),
    path("", include("layers.io.urls")),
    path("", include("tiles.urls")),
    path("ogc", include("layers.ogc.urls")),  # OGC API Features, for QGIS, ArcGIS and GDAL
]

# Styled pages in the site's language, JSON {"error": …} on API paths (geo.views).
handler400 = "geo.views.bad_request"
handler403 = "geo.views.permission_denied"
handler404 = "geo.views.page_not_found"
handler500 = "geo.views.server_error"
