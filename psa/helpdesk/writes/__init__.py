"""The helpdesk's writes (the protocols of psa.writes): a ticket's status (update_ticket_status), a reply or a
resolution (add_ticket_note), a new ticket (create_ticket) and a ticket's fields (update_ticket).

Each write is planned into the exact form it sends. The planned body is that form's fields by name, and the sender
rebuilds the form from exactly that body, so what the technician confirmed is what goes out.

Honest mapping, where the product differs:
- There are no internal notes: a reply or forward is an email to a person, and the thread is the requester's to
  see. A discussion note is a reply emailed to the requester; a resolution note is the resolve endpoint, which
  resolves the ticket and emails the requester too.
- A board is a group, a company a client, a contact the requester (required: register files a ticket on a
  requester's behalf), a type a category, a subtype a subcategory. The helpdesk links no configurations.
- The update endpoint cannot change a ticket's subject. Statuses are the desk's, shared by every group, so moving
  a ticket to another group needs no new status.
"""

from __future__ import annotations

from psa.helpdesk.writes.notes import NoteWrites
from psa.helpdesk.writes.status import StatusWrites
from psa.helpdesk.writes.tickets import TicketWrites


class HelpdeskWrites(StatusWrites, NoteWrites, TicketWrites):
    """The writers HelpdeskProvider serves (StatusWriter, NoteWriter, TicketCreator, TicketUpdater), one module each."""
