"""The lookup tables third-party ConnectWise clients read (pure data, no imports of ours).

`sandbox.store` makes a table of each, `sandbox.fields` takes their field names (from the spec schema named
beside each; see tests/fixtures/connectwise_schemas.json) and `sandbox.lookups` serves them.
"""

from __future__ import annotations

# table -> (spec schema, parent): parent is ("ref", field) for a nested reference's id, ("key", field) for an id
# field, None for a top-level collection.
LOOKUP_TABLES: dict[str, tuple[str, tuple[str, str] | None]] = {
    'board_subtypes': ('BoardSubType', ('ref', 'board')),
    'board_items': ('BoardItem', ('ref', 'board')),
    'board_teams': ('BoardTeam', ('key', 'boardId')),
    'service_sources': ('Source', None),
    'service_locations': ('ServiceLocation', None),
    'service_teams': ('ServiceTeam', None),
    'kb_categories': ('KnowledgeBaseCategory', None),
    'company_statuses': ('CompanyStatus', None),
    'company_types': ('CompanyType', None),
    'configuration_types': ('ConfigurationType', None),
    'configuration_statuses': ('ConfigurationStatus', None),
    'work_roles': ('WorkRole', None),
    'work_types': ('WorkType', None),
    'ticket_tasks': ('ServiceTask', ('key', 'ticketId')),
    'documents': ('DocumentInfo', ('key', 'recordId')),
    'activities': ('Activity', None),
}

# Field names per table, as in the spec (documents also keep recordType/recordId, which their list filters on).
LOOKUP_FIELDS: dict[str, frozenset[str]] = {
    'board_subtypes': frozenset((
        'id', 'name', 'inactiveFlag', 'typeAssociationIds', 'addAllTypesFlag', 'removeAllTypesFlag', 'board',
        '_info', 'connectWiseId', 'parentConnectWiseId', 'parentId', 'grandParentId',
        'grandParentConnectWiseId',
    )),
    'board_items': frozenset((
        'id', 'name', 'inactiveFlag', 'board', '_info', 'connectWiseId', 'parentConnectWiseId', 'parentId',
        'grandParentId', 'grandParentConnectWiseId',
    )),
    'board_teams': frozenset((
        'id', 'name', 'teamLeader', 'members', 'defaultFlag', 'notifyOnTicketDelete', 'defaultRoundRobinFlag',
        'roundRobinFlag', 'boardId', 'locationId', 'businessUnitId', '_info', 'connectWiseId',
        'parentConnectWiseId', 'parentId', 'grandParentId', 'grandParentConnectWiseId',
    )),
    'service_sources': frozenset((
        'id', 'name', 'defaultFlag', 'enteredBy', 'dateEntered', '_info', 'connectWiseId',
    )),
    'service_locations': frozenset((
        'id', 'name', 'where', 'defaultFlag', '_info',
    )),
    'service_teams': frozenset((
        'id', 'name', 'leader', 'location', 'department', 'deleteNotifyFlag', '_info',
    )),
    'kb_categories': frozenset((
        'id', 'name', 'locationId', 'businessUnitId', '_info',
    )),
    'company_statuses': frozenset((
        'id', 'name', 'defaultFlag', 'inactiveFlag', 'notifyFlag', 'disallowSavingFlag', 'notificationMessage',
        'customNoteFlag', 'cancelOpenTracksFlag', 'track', '_info', 'connectWiseId',
    )),
    'company_types': frozenset((
        'id', 'name', 'defaultFlag', 'vendorFlag', 'serviceAlertFlag', 'serviceAlertMessage', '_info',
        'connectWiseId',
    )),
    'configuration_types': frozenset((
        'id', 'name', 'inactiveFlag', 'systemFlag', '_info', 'connectWiseId',
    )),
    'configuration_statuses': frozenset((
        'id', 'description', 'closedFlag', 'defaultFlag', '_info',
    )),
    'work_roles': frozenset((
        'id', 'name', 'hourlyRate', 'integrationXref', 'inactiveFlag', 'addAllLocations', 'removeAllLocations',
        'addAllAgreementExclusions', 'locationIds', '_info', 'connectWiseId',
    )),
    'work_types': frozenset((
        'id', 'name', 'billTime', 'rateType', 'rate', 'hoursMin', 'hoursMax', 'roundBillHoursTo', 'accrualType',
        'inactiveFlag', 'overallDefaultFlag', 'activityDefaultFlag', 'utilizationFlag', 'costMultiplier',
        'integrationXRef', 'addAllAgreementExclusions', '_info', 'connectWiseId',
    )),
    'ticket_tasks': frozenset((
        'id', 'ticketId', 'notes', 'closedFlag', 'priority', 'schedule', 'code', 'member', 'resolution',
        'childScheduleAction', 'childTicketId', 'summary', '_info',
    )),
    'documents': frozenset((
        'id', 'title', 'fileName', 'serverFileName', 'owner', 'linkFlag', 'imageFlag', 'publicFlag',
        'htmlTemplateFlag', 'readOnlyFlag', 'size', 'urlFlag', 'createdOnDate', 'documentType', 'guid',
        'guidSecondary', '_info', 'recordType', 'recordId',
    )),
    'activities': frozenset((
        'id', 'name', 'type', 'company', 'contact', 'phoneNumber', 'phoneExtension', 'email', 'status',
        'opportunity', 'ticket', 'agreement', 'campaign', 'notes', 'dateStart', 'dateEnd', 'dateEndUtc',
        'dateClosedUtc', 'assignedBy', 'assignTo', 'scheduleStatus', 'reminder', 'where', 'notifyFlag',
        'closeFlag', 'mobileGuid', 'currency', '_info', 'customFields',
    )),
}

LOOKUP_REQUIRED: dict[str, tuple[str, ...]] = {
    'board_subtypes': ('name',),
    'board_items': ('name',),
    'board_teams': ('name', 'teamLeader'),
    'service_sources': ('name',),
    'service_locations': ('name',),
    'kb_categories': ('name',),
    'company_statuses': ('name',),
    'company_types': ('name',),
    'configuration_types': ('name',),
    'configuration_statuses': ('description',),
    'work_roles': ('name',),
    'work_types': ('name', 'billTime', 'rateType', 'rate'),
    'activities': ('name', 'assignTo'),
}
