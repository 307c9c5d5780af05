"""The helpdesk TicketsApi (a second PSA product): settings, token claims, errors, wire models and the client.

Import from the submodules (`psa.helpdesk.client`, `psa.helpdesk.models`, ...), as for psa.connectwise: nothing
is re-exported here, so importing one submodule never pulls in the others.
"""
