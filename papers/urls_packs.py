"""/packs/: published board packs (namespace "packs")."""

from django.urls import path

from papers import views_packs

app_name = "packs"

urlpatterns = [
    path("", views_packs.pack_list, name="list"),
    path("publish/", views_packs.pack_publish, name="publish"),
    path("<int:pk>/", views_packs.pack_detail, name="detail"),
    path("<int:pk>/pack.pdf", views_packs.pack_pdf, name="pdf"),
    path("<int:pk>/pack.xlsx", views_packs.pack_xlsx, name="xlsx"),
]
