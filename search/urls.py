from django.urls import path

from search import apis

urlpatterns = [
    path("search", apis.MessageSearchApi.as_view()),
]
