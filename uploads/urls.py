from django.urls import path

from uploads import apis

urlpatterns = [
    path("upload", apis.UploadCreateApi.as_view()),
]
