"""The base every Caseload ModelAdmin shares: unfold look, history, no full-table counts."""

from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.paginator import InfinitePaginator


class CaseloadAdmin(SimpleHistoryAdmin, ModelAdmin):
    # QUALITY P3: never COUNT(*) a big table to draw a list page.
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    list_filter_submit = True
    warn_unsaved_form = True
    compressed_fields = True


class CaseloadTabularInline(TabularInline):
    extra = 0
    tab = True


class CaseloadStackedInline(StackedInline):
    extra = 0
    tab = True
