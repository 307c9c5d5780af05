"""A second PSA product for the copilot to drive: a helpdesk with the TicketsApi of docs/helpdesk-api.md
(multipart writes, JWT bearer auth with permission claims), served by Starlette over SQLite and seeded from the
same MSP world as the ConnectWise sandbox (`sandbox.seed.generate`), so both products tell one story.

Modules, one job each: models (stored entities), store (SQLite), seed (the MSP world mapped onto the helpdesk),
auth (tokens), forms (the request bodies), listing (listTypes and search), desk (the ticket operations), outbox
(the emails "sent"), shapes (the JSON answers), errors, app (routes), runner (in-process), embedded, cli.
"""
