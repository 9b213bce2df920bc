"""Two costs unfold 0.91 pays on every row of a list page, paid once a page instead
(docs/quality.md, Under load); `tests/test_admin_rows.py` fails when unfold changes what
this relies on.

- It builds the page's column headers again for each row, to label the row's cells for small
  screens (`data-label`): with 50 rows, a fifth of the invoice list's time.
- It renders a template for each label cell (an invoice's status, payment, sending): the
  same few labels, rendered again on every row.
"""

from weakref import WeakKeyDictionary

from django.utils.translation import get_language
from unfold.templatetags import unfold_list

UNFOLD_VERSION = "0.91.0"
LABELS_KEPT = 1024
rendered_labels: dict[tuple, str] = {}


def headers_built_once_a_page() -> None:
    build = unfold_list.result_headers
    built = WeakKeyDictionary()  # a page's ChangeList: its headers

    def result_headers(cl):
        if cl not in built:
            built[cl] = list(build(cl))
        return iter(built[cl])

    unfold_list.result_headers = result_headers


def labels_rendered_once() -> None:
    render = unfold_list.display_for_label

    def display_for_label(value, empty_value_display, label):
        if isinstance(value, list):
            return render(value, empty_value_display, label)
        # The label's colours are a constant of its column; the text is in the page's language.
        text = tuple(map(str, value)) if isinstance(value, tuple) else str(value)
        key = (text, str(empty_value_display), id(label), get_language())
        if key not in rendered_labels:
            if len(rendered_labels) >= LABELS_KEPT:
                rendered_labels.clear()
            rendered_labels[key] = render(value, empty_value_display, label)
        return rendered_labels[key]

    unfold_list.display_for_label = display_for_label
