from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from import_export.formats.base_formats import CSV

from reports.formats import SafeXLSX
from reports.resources import ItemResource


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/open_data.html")


def activities_json(request: HttpRequest) -> JsonResponse:
    dataset = ItemResource().export()
    return JsonResponse(dataset.dict, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 1})


def activities_csv(request: HttpRequest) -> HttpResponse:
    dataset = ItemResource(join_lists=True).export()
    response = HttpResponse(CSV().export_data(dataset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="activities.csv"'
    return response


def activities_xlsx(request: HttpRequest) -> HttpResponse:
    dataset = ItemResource(join_lists=True).export()
    dataset.title = "activities"
    response = HttpResponse(SafeXLSX().export_data(dataset), content_type=SafeXLSX.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="activities.xlsx"'
    return response
