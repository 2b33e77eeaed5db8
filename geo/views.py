from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from layers.selectors.summary import city_summary

# The landing page's figures, in reading order: (CitySummary field, label, unit).
LANDING_FIGURES = (
    ("districts", "区", "个"),
    ("streets", "街道/乡镇", "个"),
    ("communities", "社区/村", "个"),
    ("grids", "网格", "个"),
    ("microgrids", "微网格", "个"),
    ("xiaoqus", "小区", "个"),
    ("buildings", "楼栋", "栋"),
    ("households", "户数", "户"),
    ("stations", "党群服务中心/驿站", "个"),
    ("units", "下沉单位", "个"),
    ("communities_unpaired", "未结对社区", "个"),
)


def healthz(request):
    """200 with the database and PostGIS versions; 503 when the database cannot answer."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT version(), postgis_full_version()")
            pg, postgis = cur.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is "unhealthy"
        return JsonResponse({"status": "error", "error": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "postgresql": pg, "postgis": postgis})


def landing(request):
    """The city's headline figures, with the way into the admin."""
    summary = city_summary()
    figures = [
        {
            "key": key,
            "label": label,
            "unit": unit,
            "value": f"{getattr(summary, key):,}",
            "alert": key == "communities_unpaired" and summary.communities_unpaired > 0,
        }
        for key, label, unit in LANDING_FIGURES
    ]
    return render(
        request,
        "geo/landing.html",
        {
            "summary": summary,
            "figures": figures,
            "city_name": settings.GRIDATLAS_CITY_NAME,
        },
    )
