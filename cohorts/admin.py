from django.contrib import admin

from .models import Cohort


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_en", "name_zh", "year", "status", "opens_on", "closes_on")
    list_filter = ("status", "year")
    search_fields = ("slug", "name_en", "name_zh")
    prepopulated_fields = {"slug": ("name_en",)}
    filter_horizontal = ("reviewers",)
