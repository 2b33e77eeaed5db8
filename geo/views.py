from django.db import connection
from django.http import JsonResponse


def healthz(request):
    """200 with the database and PostGIS versions; 503 when the database cannot answer."""
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT version(), postgis_full_version()")
            pg, postgis = cur.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure is "unhealthy"
        return JsonResponse({"status": "error", "error": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "postgresql": pg, "postgis": postgis})
