from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

NOT_BUILT = (
    "<!doctype html><title>PoseForge</title><h1>PoseForge</h1>"
    "<p>The frontend is not built yet. Run <code>make run</code> (or <code>make frontend</code>).</p>"
)


@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(NOT_BUILT, status=503)
    response = HttpResponse(index.read_text(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
