"""The reports' admin pages: no models to register; the views (views.py) and their forms
(forms.py) are served under admin/reports/ by reports.urls."""
