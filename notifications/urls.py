from django.urls import path

from notifications import apis

urlpatterns = [
    path("push/key", apis.PushKeyApi.as_view()),
    path("push/subscriptions", apis.PushSubscriptionsApi.as_view()),
]
