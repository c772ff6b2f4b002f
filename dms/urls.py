from django.urls import path

from dms import apis

urlpatterns = [
    path("dm", apis.DmApi.as_view()),
]
