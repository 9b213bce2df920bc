# ruff: noqa: E501
"""The role-by-URL matrix: every URL the project serves, and every admin action, requested by
each of eight roles; the outcomes must be the table's. A URL without a row fails the test
(docs/security.md, The role-by-URL matrix)."""

import copy

import pytest
from django.db import transaction

from tests.security.urls import data_of, entries, outcome, path_of
from tests.security.world import ROLES

MATRIX = """
url                                                                  method anonymous   therapist_a therapist_b client      read_only   finance     admin       no_role
/admin/(?P<url>.*)$                                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       HIDDEN      HIDDEN      HIDDEN      HIDDEN
/admin/access/accessrecord/<path:object_id>/                         GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/accounts/twofactorreset/<path:object_id>/                     GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/accounts/user/<path:object_id>/                               GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/auth/group/<path:object_id>/                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/axes/accessattempt/<path:object_id>/                          GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/axes/accesslog/<path:object_id>/                              GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/billing/documentcounter/<path:object_id>/                     GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/billing/invoice/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/billing/payment/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/billing/receipt/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/billing/setasidedecision/<path:object_id>/                    GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/authorization/<path:object_id>/                      GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/client/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/clientstatusrequest/<path:object_id>/                GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/payer/<path:object_id>/                              GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/payerrate/<path:object_id>/                          GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/servicetype/<path:object_id>/                        GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/therapist/<path:object_id>/                          GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/caseload/therapistrate/<path:object_id>/                      GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/messaging/inboundsms/<path:object_id>/                        GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/messaging/messagetemplate/<path:object_id>/                   GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/messaging/outboxmessage/<path:object_id>/                     GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/payouts/statement/<path:object_id>/                           GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/privacy/breach/<path:object_id>/                              GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/privacy/privacyrequest/<path:object_id>/                      GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/reminders/reminderoffset/<path:object_id>/                    GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/appointment/<path:object_id>/                      GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/appointmentseries/<path:object_id>/                GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/badfitentry/<path:object_id>/                      GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/room/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/roomreservation/<path:object_id>/                  GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/scheduling/site/<path:object_id>/                             GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
/admin/worklist/task/<path:object_id>/                               GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
admin:access_accessrecord_add                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:access_accessrecord_change                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:access_accessrecord_changelist                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:access_accessrecord_changelist action=delete_selected          POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      IGNORED     DENIED
admin:access_accessrecord_delete                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:access_accessrecord_export                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:access_accessrecord_history                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:accounts_twofactorreset_add                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:accounts_twofactorreset_change                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_twofactorreset_changelist                             GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_twofactorreset_changelist action=delete_selected      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:accounts_twofactorreset_delete                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:accounts_twofactorreset_history                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_user_add                                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:accounts_user_change                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_user_changelist                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_user_changelist action=delete_selected                POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:accounts_user_delete                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:accounts_user_history                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:accounts_user_reset_two_factor                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:accounts_user_simple_history                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:app_list                                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          HIDDEN
admin:auth_group_add                                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_change                                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_changelist                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_changelist action=delete_selected                   POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_delete                                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_history                                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_group_simple_history                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:auth_user_password_change                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:autocomplete                                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:axes_accessattempt_add                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accessattempt_change                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accessattempt_changelist                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accessattempt_changelist action=delete_selected           POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accessattempt_delete                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accessattempt_history                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_add                                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_change                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_changelist                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_changelist action=delete_selected               POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_delete                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:axes_accesslog_history                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_documentcounter_add                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_documentcounter_change                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_documentcounter_changelist                             GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_documentcounter_changelist action=delete_selected      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:billing_documentcounter_delete                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_documentcounter_history                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_invoice_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:billing_invoice_changelist action=download_pdfs_zip            POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:billing_invoice_changelist action=export_invoices_csv          POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:billing_invoice_changelist action=export_lines_csv             POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:billing_invoice_changelist action=export_lines_xlsx            POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:billing_invoice_changelist action=export_xlsx                  POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:billing_invoice_changelist action=issue_and_send_selected      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     REDIRECT    REDIRECT    DENIED
admin:billing_invoice_changelist action=send_selected                POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     REDIRECT    REDIRECT    DENIED
admin:billing_invoice_credit_one                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_invoice_deadlines                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_invoice_download_pdf                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_export                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_invoice_generate_month                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_invoice_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_issue_one                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_invoice_send_invoice                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_invoice_set_aside                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_view_pdf                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_invoice_void_one                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_invoice_zip_filtered                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_payment_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_payment_allocate_oldest                                GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_payment_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_payment_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_payment_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:billing_payment_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_payment_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_payment_import                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_payment_open_import                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
admin:billing_payment_open_receivables                               GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
admin:billing_payment_receivables                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_payment_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_payment_take                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_receipt_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_receipt_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_receipt_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_receipt_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:billing_receipt_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_receipt_download_pdf                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_receipt_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_receipt_send_again                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:billing_receipt_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_setasidedecision_add                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_setasidedecision_change                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_setasidedecision_changelist                            GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_setasidedecision_changelist action=delete_selected     POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:billing_setasidedecision_delete                                GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:billing_setasidedecision_history                               GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:billing_setasidedecision_simple_history                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_add                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_authorization_change                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_changelist                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_changelist action=delete_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:caseload_authorization_delete                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_authorization_extend                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_authorization_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_renewal_document                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_simple_history                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_authorization_submit_renewal                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_activate                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_client_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_client_changelist action=activate_clients             POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:caseload_client_changelist action=deactivate_clients           POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:caseload_client_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:caseload_client_deactivate                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_client_privacy_export                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_client_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_client_take_payment                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      REDIRECT    REDIRECT    DENIED
admin:caseload_clientstatusrequest_add                               GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:caseload_clientstatusrequest_approve                           GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_clientstatusrequest_change                            GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_clientstatusrequest_changelist                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_clientstatusrequest_changelist action=delete_selected POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:caseload_clientstatusrequest_decline                           GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_clientstatusrequest_delete                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:caseload_clientstatusrequest_history                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_clientstatusrequest_simple_history                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payer_add                                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_payer_change                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payer_changelist                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payer_changelist action=delete_selected               POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:caseload_payer_delete                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_payer_history                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payer_simple_history                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payerrate_add                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_payerrate_change                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payerrate_changelist                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payerrate_changelist action=delete_selected           POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:caseload_payerrate_delete                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_payerrate_history                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_payerrate_simple_history                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_servicetype_add                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_servicetype_change                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_servicetype_changelist                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_servicetype_changelist action=delete_selected         POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:caseload_servicetype_delete                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_servicetype_history                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_servicetype_simple_history                            GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapist_add                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_therapist_caseload                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapist_change                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapist_changelist                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapist_changelist action=delete_selected           POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:caseload_therapist_changelist action=invite_to_portal          POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:caseload_therapist_delete                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_therapist_history                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapist_invite                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:caseload_therapist_open_caseload                               GET    LOGIN       LOGIN       LOGIN       LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT
admin:caseload_therapist_simple_history                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapistrate_add                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_therapistrate_change                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapistrate_changelist                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapistrate_changelist action=delete_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:caseload_therapistrate_delete                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:caseload_therapistrate_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:caseload_therapistrate_simple_history                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:index                                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
admin:jsi18n                                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
admin:login                                                          GET    OK          OK          OK          OK          REDIRECT    REDIRECT    REDIRECT    REDIRECT
admin:logout                                                         POST   REDIRECT    REDIRECT    REDIRECT    REDIRECT    LOGIN       LOGIN       LOGIN       LOGIN
admin:messaging_inboundsms_add                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:messaging_inboundsms_change                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_inboundsms_changelist                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_inboundsms_changelist action=delete_selected         POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:messaging_inboundsms_changelist action=mark_answered           POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:messaging_inboundsms_delete                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:messaging_inboundsms_history                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_inboundsms_simple_history                            GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_messagetemplate_add                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:messaging_messagetemplate_change                               GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_messagetemplate_changelist                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_messagetemplate_changelist action=delete_selected    POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:messaging_messagetemplate_delete                               GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:messaging_messagetemplate_history                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_messagetemplate_simple_history                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_outboxmessage_add                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:messaging_outboxmessage_change                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_outboxmessage_changelist                             GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_outboxmessage_changelist action=delete_selected      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:messaging_outboxmessage_changelist action=retry                POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:messaging_outboxmessage_delete                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:messaging_outboxmessage_history                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:messaging_outboxmessage_simple_history                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:password_change                                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
admin:password_change_done                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
admin:payouts_statement_add                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:payouts_statement_change                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_changelist                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_changelist action=delete_selected            POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:payouts_statement_changelist action=download_pdfs_zip          POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:payouts_statement_changelist action=export_xlsx                POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:payouts_statement_changelist action=record_payouts_selected    POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:payouts_statement_changelist action=send_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     REDIRECT    REDIRECT    DENIED
admin:payouts_statement_delete                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:payouts_statement_download_pdf                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_history                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_preview_email                                GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_record_payout                                GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:payouts_statement_regenerate_one                               GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:payouts_statement_run_month                                    GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:payouts_statement_send_one                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:payouts_statement_simple_history                               GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_view_pdf                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:payouts_statement_zip_filtered                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      OK          OK          DENIED
admin:privacy_breach_add                                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_breach_change                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_breach_changelist                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_breach_changelist action=delete_selected               POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      IGNORED     DENIED
admin:privacy_breach_delete                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:privacy_breach_history                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_breach_simple_history                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_privacyrequest_add                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_privacyrequest_change                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_privacyrequest_changelist                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_privacyrequest_changelist action=delete_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      IGNORED     DENIED
admin:privacy_privacyrequest_delete                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:privacy_privacyrequest_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:privacy_privacyrequest_simple_history                          GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:reminders_reminderoffset_add                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_change                                GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_changelist                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_changelist action=delete_selected     POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_delete                                GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_history                               GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:reminders_reminderoffset_simple_history                        GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:scheduling_appointment_add                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_book_series                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_cancel_one                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_cancel_rest_one                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_change                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointment_changelist                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointment_changelist action=cancel_rest_selected  POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:scheduling_appointment_changelist action=cancel_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:scheduling_appointment_changelist action=complete_selected     POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:scheduling_appointment_changelist action=delete_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:scheduling_appointment_changelist action=no_show_selected      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     REDIRECT    DENIED
admin:scheduling_appointment_complete_one                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_delete                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointment_no_show_one                             GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointment_simple_history                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointment_take_payment                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      REDIRECT    REDIRECT    DENIED
admin:scheduling_appointmentseries_add                               GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:scheduling_appointmentseries_change                            GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointmentseries_changelist                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointmentseries_changelist action=delete_selected POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:scheduling_appointmentseries_delete                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_appointmentseries_history                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_appointmentseries_simple_history                    GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_badfitentry_add                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:scheduling_badfitentry_change                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_badfitentry_changelist                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_badfitentry_changelist action=delete_selected       POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:scheduling_badfitentry_delete                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:scheduling_badfitentry_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_badfitentry_remove_from_list                        GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_badfitentry_simple_history                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_room_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_room_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_room_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_room_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:scheduling_room_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_room_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_room_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_roomreservation_add                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_roomreservation_change                              GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_roomreservation_changelist                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_roomreservation_changelist action=delete_selected   POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:scheduling_roomreservation_delete                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_roomreservation_history                             GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_roomreservation_simple_history                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_site_add                                            GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_site_change                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_site_changelist                                     GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_site_changelist action=delete_selected              POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     OK          DENIED
admin:scheduling_site_delete                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      OK          DENIED
admin:scheduling_site_history                                        GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:scheduling_site_simple_history                                 GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:search                                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
admin:view_on_site                                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       HIDDEN      HIDDEN      HIDDEN      HIDDEN
admin:worklist_task_add                                              GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:worklist_task_change                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:worklist_task_changelist                                       GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:worklist_task_changelist action=assign                         POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:worklist_task_changelist action=assign_to_me                   POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     REDIRECT    REDIRECT    DENIED
admin:worklist_task_changelist action=delete_selected                POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     IGNORED     IGNORED     DENIED
admin:worklist_task_changelist action=mark_done                      POST   LOGIN       LOGIN       LOGIN       LOGIN       IGNORED     OK          OK          DENIED
admin:worklist_task_delete                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       DENIED      DENIED      DENIED      DENIED
admin:worklist_task_history                                          GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
admin:worklist_task_home                                             POST   LOGIN       LOGIN       LOGIN       LOGIN       DENIED      REDIRECT    REDIRECT    DENIED
admin:worklist_task_simple_history                                   GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
client:cancel                                                        GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:confirm                                                       POST   LOGIN       DENIED      DENIED      REDIRECT    DENIED      DENIED      DENIED      DENIED
client:documents                                                     GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:home                                                          GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:invoice_pdf                                                   GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:link                                                          GET    OK          OK          OK          OK          OK          OK          OK          OK
client:preferences                                                   GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:receipt_pdf                                                   GET    LOGIN       DENIED      DENIED      OK          DENIED      DENIED      DENIED      DENIED
client:sign_in                                                       GET    OK          OK          OK          OK          OK          OK          OK          OK
client:sign_in_sent                                                  GET    OK          OK          OK          OK          OK          OK          OK          OK
client:sign_out                                                      POST   LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN
landing                                                              GET    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT
notifications:open                                                   POST   LOGIN       REDIRECT    HIDDEN      HIDDEN      HIDDEN      HIDDEN      HIDDEN      HIDDEN
notifications:portal                                                 GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
notifications:portal_preferences                                     GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
notifications:read                                                   POST   LOGIN       REDIRECT    HIDDEN      HIDDEN      HIDDEN      HIDDEN      HIDDEN      HIDDEN
notifications:read_all                                               POST   LOGIN       REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT
notifications:staff                                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
notifications:staff_preferences                                      GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          OK
portal:alerts                                                        GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:attendance                                                    GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:client                                                        GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:client_request                                                GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:clients                                                       GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:home                                                          GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:login                                                         GET    OK          OK          OK          OK          OK          OK          OK          OK
portal:logout                                                        POST   LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN       LOGIN
portal:password_reset                                                GET    OK          OK          OK          OK          OK          OK          OK          OK
portal:password_reset_done                                           GET    OK          OK          OK          OK          OK          OK          OK          OK
portal:password_set                                                  GET    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:renewal_document                                              GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:renewal_upload                                                GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:rooms                                                         GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:schedule                                                      GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:statement_pdf                                                 GET    LOGIN       OK          HIDDEN      DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:statements                                                    GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
portal:week                                                          GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
reminder_cancel                                                      GET    OK          OK          OK          OK          OK          OK          OK          OK
reminder_confirm                                                     GET    OK          OK          OK          OK          OK          OK          OK          OK
reports:utilization                                                  GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
reports:utilization_export                                           GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
reports:week                                                         GET    LOGIN       LOGIN       LOGIN       LOGIN       OK          OK          OK          DENIED
set_language                                                         GET    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT    REDIRECT
two_factor:enrol                                                     GET    LOGIN       OK          OK          DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
two_factor:recovery_codes                                            GET    LOGIN       REDIRECT    REDIRECT    DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
two_factor:verify                                                    GET    LOGIN       REDIRECT    REDIRECT    DENIED      REDIRECT    REDIRECT    REDIRECT    REDIRECT
webhooks:anymail:amazon_ses_tracking_webhook                         POST   401         401         401         401         401         401         401         401
webhooks:anymail:postmark_tracking_webhook                           POST   BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST
webhooks:anymail:sendgrid_tracking_webhook                           POST   BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST BAD_REQUEST
webhooks:vonage_inbound                                              POST   DENIED      DENIED      DENIED      DENIED      DENIED      DENIED      DENIED      DENIED
webhooks:vonage_status                                               POST   DENIED      DENIED      DENIED      DENIED      DENIED      DENIED      DENIED      DENIED
"""


def _table(text: str) -> dict[str, tuple[str, list[str]]]:
    header, *lines = text.strip().splitlines()
    assert tuple(header.split()[2:]) == ROLES, "the table's columns are the roles, in order"
    rows = {}
    for line in lines:
        words = line.split()
        if words[1].startswith("action="):  # an action row: its list's name, then the action
            words[:2] = [f"{words[0]} {words[1]}"]
        key, method, *outcomes = words
        assert key not in rows and len(outcomes) == len(ROLES), line
        rows[key] = (method, outcomes)
    return rows


# Rows whose outcome today breaks a rule: the table says what the rule wants, and the test is
# expected to fail until the code is fixed (then remove the row from here).
KNOWN_WRONG: dict[str, str] = {}


EXPECTED = _table(MATRIX)
ENTRIES = entries()


def request_outcomes(world: dict, key: str, method: str) -> list[str]:
    entry = ENTRIES[key]
    path, data = path_of(entry, world), data_of(entry, world)
    found = []
    for role in ROLES:
        browser = world["browsers"][role]
        # A sign-out ends no other row's session.
        browser.cookies = copy.deepcopy(world["cookies"][role])
        with transaction.atomic():
            response = getattr(browser, method.lower())(path, data)
            transaction.set_rollback(True)
        found.append(outcome(response, action=entry.action is not None))
    return found


def test_every_url_has_a_row():
    missing = sorted(set(ENTRIES) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(ENTRIES))
    assert not missing and not stale, (
        f"The role-by-URL matrix ({len(ENTRIES)} URLs × {len(ROLES)} roles = "
        f"{len(ENTRIES) * len(ROLES)} requests) has no row for:\n  "
        + "\n  ".join(missing)
        + ("\nand rows for URLs that are gone:\n  " + "\n  ".join(stale) if stale else "")
    )


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(key, marks=pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[key]))
        if key in KNOWN_WRONG
        else key
        for key in sorted(EXPECTED)
    ],
)
def test_each_role_gets_the_tables_outcome(db, world, key):
    method, expected = EXPECTED[key]
    actual = request_outcomes(world, key, method)
    assert actual == expected, "\n".join(
        f"{role:12} expected {want:12} got {got}"
        for role, want, got in zip(ROLES, expected, actual, strict=True)
    )
