"""Static catalog of the demo MSP: its boards, workflow, staff, clients and the vocabulary used to
fill them in. Pure data, no randomness: the generators in the sibling modules draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- the MSP itself ----------------------------------------------------------------------------

MSP_COMPANY_ID = 1
MSP_IDENTIFIER = "BrightPath"
MSP_NAME = "BrightPath Technology Partners"
MSP_DOMAIN = "brightpathit.com"

# --- boards and their workflow ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusDef:
    name: str
    closed: bool = False
    default: bool = False
    escalation: str = "NoEscalation"
    time_entry_not_allowed: bool = False


@dataclass(frozen=True, slots=True)
class BoardDef:
    id: int
    name: str
    team: str
    statuses: tuple[StatusDef, ...]
    # type name -> subtype names; ids are assigned in catalog order so they are stable.
    types: tuple[tuple[str, tuple[str, ...]], ...]


_SERVICE_FLOW = (
    StatusDef("New", default=True, escalation="NotResponded"),
    StatusDef("Assigned", escalation="Responded"),
    StatusDef("In Progress", escalation="ResolutionPlan"),
    StatusDef("Waiting on Client", escalation="NoEscalation"),
    StatusDef("Waiting on Vendor", escalation="NoEscalation"),
    StatusDef("Scheduled", escalation="ResolutionPlan"),
    StatusDef("Escalated", escalation="ResolutionPlan"),
    StatusDef("Customer Responded", escalation="Responded"),
    StatusDef("Resolved", closed=True, escalation="Resolved"),
    StatusDef("Closed", closed=True, escalation="Resolved", time_entry_not_allowed=True),
    StatusDef("Cancelled", closed=True, escalation="Resolved", time_entry_not_allowed=True),
)

_ALERT_FLOW = (
    StatusDef("New", default=True, escalation="NotResponded"),
    StatusDef("Acknowledged", escalation="Responded"),
    StatusDef("In Progress", escalation="ResolutionPlan"),
    StatusDef("Escalated", escalation="ResolutionPlan"),
    StatusDef("Auto-Resolved", closed=True, escalation="Resolved"),
    StatusDef("Resolved", closed=True, escalation="Resolved"),
    StatusDef("Closed", closed=True, escalation="Resolved", time_entry_not_allowed=True),
)

_PROJECT_FLOW = (
    StatusDef("New", default=True, escalation="NotResponded"),
    StatusDef("Scheduled", escalation="Responded"),
    StatusDef("In Progress", escalation="ResolutionPlan"),
    StatusDef("Waiting on Client", escalation="NoEscalation"),
    StatusDef("Waiting on Hardware", escalation="NoEscalation"),
    StatusDef("Completed", closed=True, escalation="Resolved"),
    StatusDef("Closed", closed=True, escalation="Resolved", time_entry_not_allowed=True),
)

BOARDS: tuple[BoardDef, ...] = (
    BoardDef(1, "Help Desk", "Tier 1 Support", _SERVICE_FLOW, (
        ("Account Management", ("Password Reset", "Account Lockout", "MFA", "Permissions", "Licensing")),
        ("Email & Collaboration", ("Outlook", "Teams", "OneDrive / SharePoint", "Shared Mailbox")),
        ("Hardware", ("Laptop", "Desktop", "Printer / Scanner", "Peripherals")),
        ("Software", ("Install Request", "Application Error", "Line of Business App")),
        ("Security", ("Phishing Report", "BitLocker", "Suspicious Activity")),
        ("Connectivity", ("VPN", "Wi-Fi", "Mapped Drives")),
    )),
    BoardDef(2, "Network Operations", "Network Engineering", _SERVICE_FLOW, (
        ("Firewall", ("Rule Change", "Firmware", "VPN Tunnel")),
        ("Network", ("DNS", "Switching / VLAN", "Internet Outage", "Wireless")),
        ("Certificates", ("SSL Renewal", "Expired Certificate")),
        ("Server", ("Maintenance", "Performance")),
    )),
    BoardDef(3, "Alerts", "NOC", _ALERT_FLOW, (
        ("Monitoring Alert", ("Disk Space", "Service Down", "Reboot Required", "Offline Device")),
        ("Backup Alert", ("Backup Failed", "Backup Warning")),
        ("Security Alert", ("Threat Detected", "Suspicious Sign-in")),
    )),
    BoardDef(4, "Onboarding", "Projects", _PROJECT_FLOW, (
        ("User Lifecycle", ("New Hire", "Termination", "Role Change")),
        ("Equipment", ("New Workstation", "Replacement", "Loaner")),
    )),
)

# --- priorities, sources, locations, work types ---------------------------------------------

PRIORITIES: tuple[tuple[int, str, str, str], ...] = (
    # id, name, color, level: the spec's enums (Priority.color is a colour name, Custom for anything else;
    # Priority.level is one of Critical, High, Medium, Low, so planned work is Low)
    (1, "Priority 1 - Critical", "Red", "Critical"),
    (2, "Priority 2 - High", "Orange", "High"),
    (3, "Priority 3 - Medium", "Yellow", "Medium"),
    (4, "Priority 4 - Low", "Green", "Low"),
    (5, "Priority 5 - Planned", "Blue", "Low"),
)
DEFAULT_PRIORITY_ID = 3

SOURCES: tuple[tuple[int, str], ...] = (
    (1, "Phone"), (2, "Email Connector"), (3, "Portal"), (4, "Monitoring"), (5, "Walk-In"), (6, "Chat"),
)
SERVICE_LOCATIONS: tuple[tuple[int, str], ...] = ((1, "Remote"), (2, "On-Site"), (3, "In-house"))
WORK_TYPES: tuple[tuple[int, str], ...] = (
    (1, "Remote Support"), (2, "Onsite Support"), (3, "After Hours"), (4, "Project Work"), (5, "Admin"),
)
WORK_ROLES: tuple[tuple[int, str], ...] = (
    (1, "Technician Tier 1"), (2, "Technician Tier 2"), (3, "Network Engineer"),
    (4, "Project Engineer"), (5, "Service Manager"),
)
TEAMS: tuple[tuple[int, str], ...] = (
    (1, "Tier 1 Support"), (2, "Tier 2 Support"), (3, "Network Engineering"), (4, "NOC"), (5, "Projects"),
)

# --- staff ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberDef:
    id: int
    identifier: str
    first: str
    last: str
    title: str
    role_id: int     # WORK_ROLES id used on their time entries
    team_id: int     # TEAMS id they normally sit in
    hire: str        # ISO date
    technician: bool = True
    api: bool = False


MEMBERS: tuple[MemberDef, ...] = (
    MemberDef(1, "dpatel", "Dana", "Patel", "Service Manager", 5, 2, "2017-03-06", technician=False),
    MemberDef(2, "jmorales", "Jenna", "Morales", "Service Coordinator / Dispatcher", 5, 1, "2021-08-16",
              technician=False),
    MemberDef(3, "kbrooks", "Kevin", "Brooks", "Help Desk Technician I", 1, 1, "2024-01-08"),
    MemberDef(4, "anguyen", "Alicia", "Nguyen", "Help Desk Technician II", 1, 1, "2022-05-02"),
    MemberDef(5, "mokafor", "Marcus", "Okafor", "Help Desk Technician I", 1, 1, "2025-02-17"),
    MemberDef(6, "sreyes", "Sofia", "Reyes", "Systems Engineer", 2, 2, "2020-10-12"),
    MemberDef(7, "twalsh", "Tom", "Walsh", "Senior Systems Engineer", 2, 2, "2018-06-25"),
    MemberDef(8, "pchen", "Priya", "Chen", "Network Engineer", 3, 3, "2019-09-03"),
    MemberDef(9, "bharris", "Ben", "Harris", "NOC Technician", 1, 4, "2023-04-10"),
    MemberDef(10, "lkowalski", "Lena", "Kowalski", "Project Engineer", 4, 5, "2021-01-11"),
    MemberDef(11, "rgrant", "Ray", "Grant", "Field Technician", 1, 1, "2023-09-18"),
    MemberDef(12, "rmmagent", "RMM", "Integration", "API Member - RMM Alerts", 1, 4, "2020-01-01",
              technician=False, api=True),
)

# Which members work which board's tickets (by member id), in rough order of how often.
BOARD_STAFF: dict[int, tuple[int, ...]] = {
    1: (3, 4, 5, 11, 4, 3, 6, 7),
    2: (8, 8, 7, 6),
    3: (9, 9, 6, 7, 3),
    4: (10, 10, 11, 6, 4),
}

# --- client companies ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientDef:
    identifier: str
    name: str
    industry: str
    city: str
    state: str
    zip: str
    street: str
    employees: int
    domain: str
    firewall: str
    vpn: str
    backup: str
    printer: str
    lob_app: str


CLIENTS: tuple[ClientDef, ...] = (
    ClientDef("CedarDental", "Cedar Ridge Dental Group", "Healthcare", "Boise", "ID", "83702",
              "1410 W Bannock St", 42, "cedarridgedental.com", "SonicWall TZ470", "SonicWall NetExtender",
              "Datto SIRIS", "Brother MFC-L8900CDW", "Dentrix G7"),
    ClientDef("HarborLaw", "Harbor & Finch LLP", "Legal", "Portland", "ME", "04101",
              "88 Exchange St, Suite 400", 35, "harborfinch.com", "Fortinet FortiGate 60F", "FortiClient VPN",
              "Veeam Backup & Replication", "Canon imageRUNNER ADVANCE C5535i", "Clio Manage"),
    ClientDef("SummitCPA", "Summit Peak CPAs", "Accounting", "Denver", "CO", "80202",
              "1600 Stout St, Floor 9", 28, "summitpeakcpa.com", "Meraki MX68", "Meraki Client VPN",
              "Datto SIRIS", "HP LaserJet Pro M404dn", "CCH Axcess"),
    ClientDef("RiverbendMfg", "Riverbend Manufacturing Co.", "Manufacturing", "Dayton", "OH", "45402",
              "2200 E Monument Ave", 160, "riverbendmfg.com", "Fortinet FortiGate 100F", "FortiClient VPN",
              "Veeam Backup & Replication", "Ricoh IM C3000", "Epicor Kinetic"),
    ClientDef("MapleVet", "Maple Street Veterinary Clinic", "Veterinary", "Madison", "WI", "53703",
              "512 Maple St", 18, "maplestreetvet.com", "WatchGuard Firebox T40", "WatchGuard Mobile VPN",
              "Axcient x360Recover", "Brother HL-L6200DW", "AVImark"),
    ClientDef("OakviewRealty", "Oakview Realty Partners", "Real Estate", "Charlotte", "NC", "28202",
              "301 S Tryon St, Suite 1200", 24, "oakviewrealty.com", "Meraki MX67", "Meraki Client VPN",
              "Acronis Cyber Protect", "HP Color LaserJet Pro M479fdw", "Dotloop"),
    ClientDef("BlueHeron", "Blue Heron Architects", "Architecture", "Savannah", "GA", "31401",
              "14 E Bay St", 22, "blueheronarch.com", "SonicWall TZ370", "SonicWall NetExtender",
              "Datto SIRIS", "HP DesignJet T650", "Autodesk Revit 2026"),
    ClientDef("GranitePT", "Granite State Physical Therapy", "Healthcare", "Manchester", "NH", "03101",
              "1000 Elm St", 31, "granitestatept.com", "Fortinet FortiGate 40F", "FortiClient VPN",
              "Axcient x360Recover", "Brother MFC-L6900DW", "WebPT"),
    ClientDef("NorthStarLog", "NorthStar Logistics", "Logistics", "Indianapolis", "IN", "46204",
              "250 W Washington St", 95, "northstarlogistics.com", "Palo Alto PA-440", "GlobalProtect",
              "Veeam Backup & Replication", "Zebra ZT411", "Descartes MacroPoint"),
    ClientDef("WillowCreek", "Willow Creek Senior Living", "Senior Care", "Spokane", "WA", "99201",
              "720 N Division St", 120, "willowcreekliving.org", "Meraki MX85", "Meraki Client VPN",
              "Datto SIRIS", "Xerox VersaLink C405", "PointClickCare"),
    ClientDef("KeystoneIns", "Keystone Insurance Agency", "Insurance", "Harrisburg", "PA", "17101",
              "17 N 2nd St", 19, "keystoneins.com", "SonicWall TZ270", "SonicWall NetExtender",
              "Acronis Cyber Protect", "HP LaserJet Enterprise M507", "Applied Epic"),
    ClientDef("CopperKettle", "Copper Kettle Restaurant Group", "Hospitality", "Austin", "TX", "78701",
              "401 Congress Ave", 65, "copperkettlegroup.com", "Meraki MX68", "Meraki Client VPN",
              "Acronis Cyber Protect", "Epson TM-T88VII", "Toast POS"),
    ClientDef("LakesideSch", "Lakeside Montessori School", "Education", "Minneapolis", "MN", "55408",
              "3015 Lyndale Ave S", 48, "lakesidemontessori.org", "Fortinet FortiGate 60F", "FortiClient VPN",
              "Veeam Backup & Replication", "Canon imageRUNNER ADVANCE DX C3826i", "Transparent Classroom"),
    ClientDef("PineGrove", "Pine Grove Family Medicine", "Healthcare", "Asheville", "NC", "28801",
              "77 Patton Ave", 37, "pinegrovefm.com", "WatchGuard Firebox T45", "WatchGuard Mobile VPN",
              "Datto SIRIS", "Brother MFC-L8900CDW", "athenaOne"),
    ClientDef("SterlingWealth", "Sterling Wealth Advisors", "Financial Services", "Scottsdale", "AZ", "85251",
              "7150 E Camelback Rd, Suite 300", 16, "sterlingwealthadv.com", "Fortinet FortiGate 40F",
              "FortiClient VPN", "Axcient x360Recover", "HP Color LaserJet Pro M454dw", "Orion Advisor"),
    ClientDef("IronwoodConst", "Ironwood Construction", "Construction", "Omaha", "NE", "68102",
              "1120 Harney St", 85, "ironwoodbuilds.com", "SonicWall TZ570", "SonicWall NetExtender",
              "Datto SIRIS", "Ricoh IM C4500", "Procore"),
    ClientDef("CrescentMktg", "Crescent Marketing Studio", "Marketing", "Nashville", "TN", "37203",
              "1201 Demonbreun St", 21, "crescentstudio.co", "Meraki MX67", "Meraki Client VPN",
              "Acronis Cyber Protect", "HP Color LaserJet Enterprise M555", "Adobe Creative Cloud"),
    ClientDef("TidewaterCU", "Tidewater Community Credit Union", "Credit Union", "Norfolk", "VA", "23510",
              "150 W Main St", 140, "tidewatercu.org", "Palo Alto PA-460", "GlobalProtect",
              "Veeam Backup & Replication", "Lexmark MX622", "Jack Henry Symitar"),
    ClientDef("AspenOrtho", "Aspen Orthopedic Associates", "Healthcare", "Salt Lake City", "UT", "84111",
              "50 S Main St, Suite 700", 58, "aspenortho.com", "Fortinet FortiGate 60F", "FortiClient VPN",
              "Datto SIRIS", "Xerox VersaLink B415", "ModMed"),
    ClientDef("BrightwaterNP", "Brightwater Food Bank", "Nonprofit", "Providence", "RI", "02903",
              "200 Allens Ave", 26, "brightwaterfoodbank.org", "Meraki MX64", "Meraki Client VPN",
              "Acronis Cyber Protect", "Brother MFC-L6900DW", "Salesforce Nonprofit Cloud"),
    ClientDef("HollisEng", "Hollis Engineering Group", "Engineering", "Tulsa", "OK", "74103",
              "320 S Boston Ave", 54, "hollisengineering.com", "SonicWall TZ470", "SonicWall NetExtender",
              "Veeam Backup & Replication", "HP DesignJet T830", "Bentley MicroStation"),
    ClientDef("MeridianHR", "Meridian Staffing Solutions", "Staffing", "Louisville", "KY", "40202",
              "400 W Market St", 33, "meridianstaffing.com", "WatchGuard Firebox T40", "WatchGuard Mobile VPN",
              "Axcient x360Recover", "HP LaserJet Pro M404dn", "Bullhorn"),
    ClientDef("ClearviewOpt", "Clearview Optometry", "Healthcare", "Fresno", "CA", "93721",
              "2135 Fresno St", 14, "clearviewoptometry.com", "Meraki MX64", "Meraki Client VPN",
              "Datto SIRIS", "Brother HL-L8360CDW", "RevolutionEHR"),
    ClientDef("VantagePM", "Vantage Property Management", "Property Management", "Tampa", "FL", "33602",
              "401 E Jackson St", 44, "vantagepm.com", "Fortinet FortiGate 60F", "FortiClient VPN",
              "Acronis Cyber Protect", "Canon imageRUNNER ADVANCE C3530i", "AppFolio"),
    ClientDef("GreenfieldAg", "Greenfield Agricultural Supply", "Agriculture", "Fargo", "ND", "58102",
              "3402 Main Ave", 38, "greenfieldag.com", "SonicWall TZ370", "SonicWall NetExtender",
              "Veeam Backup & Replication", "Ricoh IM 430F", "Sage 100"),
    ClientDef("MosaicDesign", "Mosaic Interior Design", "Design", "Santa Fe", "NM", "87501",
              "110 W San Francisco St", 11, "mosaicinteriors.com", "Meraki MX64", "Meraki Client VPN",
              "Acronis Cyber Protect", "Epson WorkForce Pro WF-C5890", "QuickBooks Online"),
    ClientDef("ParkwayPeds", "Parkway Pediatrics", "Healthcare", "Columbus", "OH", "43215",
              "500 E Broad St", 46, "parkwaypeds.com", "Fortinet FortiGate 60F", "FortiClient VPN",
              "Datto SIRIS", "HP LaserJet Enterprise M507", "eClinicalWorks"),
    ClientDef("AtlasTitle", "Atlas Title & Escrow", "Title & Escrow", "Las Vegas", "NV", "89101",
              "300 S 4th St, Suite 1100", 29, "atlastitle.com", "SonicWall TZ270", "SonicWall NetExtender",
              "Axcient x360Recover", "Canon imageRUNNER ADVANCE DX 4751i", "SoftPro Select"),
)

# --- people and places -----------------------------------------------------------------------

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
    "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
    "Paul", "Kimberly", "Andrew", "Emily", "Joshua", "Donna", "Brian", "Michelle", "Kevin", "Carol",
    "Jason", "Amanda", "Ryan", "Melissa", "Gary", "Deborah", "Eric", "Stephanie", "Nicole", "Jacob",
    "Rachel", "Tyler", "Laura", "Aaron", "Heather", "Jose", "Maria", "Wei", "Aisha", "Omar", "Priya",
    "Hannah", "Noah", "Olivia", "Liam", "Grace", "Ethan", "Chloe", "Lucas", "Megan", "Diego", "Fatima",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kim",
    "Patel", "Shah", "Cohen", "Murphy", "O'Brien", "Sullivan", "Becker", "Fischer", "Novak", "Larsen",
)
CONTACT_TITLES: tuple[str, ...] = (
    "Office Manager", "Administrative Assistant", "Controller", "Staff Accountant", "Operations Manager",
    "Receptionist", "HR Generalist", "Project Manager", "Sales Associate", "Marketing Coordinator",
    "Billing Specialist", "Practice Manager", "Paralegal", "Associate", "Account Executive",
    "Customer Service Rep", "Warehouse Supervisor", "Designer", "Analyst", "Executive Assistant",
)
SITE_EXTRA_STREETS: tuple[str, ...] = (
    "455 Commerce Dr", "18 Industrial Pkwy", "2901 Lakeview Blvd", "730 Market St", "61 Riverside Ave",
    "1290 Airport Rd", "88 Harbor Way", "4100 Westgate Dr",
)
SITE_EXTRA_NAMES: tuple[str, ...] = ("Warehouse", "North Clinic", "Branch Office", "Satellite Office",
                                      "Plant 2", "East Campus")

# --- configuration catalog -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigTypeDef:
    id: int
    name: str
    prefix: str                       # device naming prefix, e.g. "LT" -> CEDAR-LT-014
    models: tuple[tuple[str, str, str], ...]   # (manufacturer, model name, model number)
    os: tuple[str, ...]
    per_user: bool = False            # one per contact (laptops/desktops) vs. a few per site


CONFIG_TYPES: tuple[ConfigTypeDef, ...] = (
    ConfigTypeDef(1, "Managed Workstation - Laptop", "LT", (
        ("Dell", "Latitude 5450", "LAT5450"), ("Dell", "Latitude 7440", "LAT7440"),
        ("Lenovo", "ThinkPad T14 Gen 5", "21ML"), ("HP", "EliteBook 840 G11", "9C0G2UT"),
        ("Microsoft", "Surface Laptop 6", "ZJQ-00001"), ("Apple", "MacBook Air 13 M3", "MRXN3LL/A"),
    ), ("Windows 11 Pro 24H2", "Windows 11 Pro 23H2", "Windows 11 Enterprise 24H2", "macOS 15 Sequoia"),
        per_user=True),
    ConfigTypeDef(2, "Managed Workstation - Desktop", "DT", (
        ("Dell", "OptiPlex 7020 Micro", "OPT7020M"), ("HP", "Elite Mini 800 G9", "6B2G1UT"),
        ("Lenovo", "ThinkCentre M70q Gen 5", "12TD"),
    ), ("Windows 11 Pro 24H2", "Windows 11 Pro 23H2", "Windows 10 Pro 22H2"), per_user=True),
    ConfigTypeDef(3, "Managed Server", "SRV", (
        ("Dell", "PowerEdge R660xs", "R660XS"), ("Dell", "PowerEdge T360", "T360"),
        ("HPE", "ProLiant DL360 Gen11", "P51930-B21"), ("Lenovo", "ThinkSystem ST250 V3", "7DCE"),
    ), ("Windows Server 2022 Standard", "Windows Server 2019 Standard", "Windows Server 2025 Standard")),
    ConfigTypeDef(4, "Firewall", "FW", (), ("FortiOS 7.4.5", "SonicOS 7.1.2", "MX 18.211", "Fireware 12.11",
                                            "PAN-OS 11.1.4")),
    ConfigTypeDef(5, "Network Switch", "SW", (
        ("Cisco Meraki", "MS130-24P", "MS130-24P-HW"), ("Aruba", "CX 6100 24G", "JL678A"),
        ("Ubiquiti", "UniFi USW-Pro-24-PoE", "USW-PRO-24-POE"), ("Fortinet", "FortiSwitch 124F-POE", "FS-124F-POE"),
    ), ("Switch firmware",)),
    ConfigTypeDef(6, "Wireless Access Point", "AP", (
        ("Cisco Meraki", "MR36", "MR36-HW"), ("Ubiquiti", "UniFi U7 Pro", "U7-PRO"),
        ("Aruba", "Instant On AP25", "R9B28A"), ("Fortinet", "FortiAP 231G", "FAP-231G"),
    ), ("AP firmware",)),
    ConfigTypeDef(7, "Printer", "PRN", (), ("Embedded",)),
    ConfigTypeDef(8, "Microsoft 365 Tenant", "M365", (("Microsoft", "Microsoft 365 Business Premium", "M365BP"),),
                  ("Cloud",)),
    ConfigTypeDef(9, "Backup Appliance", "BDR", (), ("Appliance OS",)),
    ConfigTypeDef(10, "UPS", "UPS", (("APC", "Smart-UPS 1500", "SMT1500RM2UC"), ("Eaton", "5PX 1500", "5PX1500RT"),
                                     ("CyberPower", "PR1500RT2U", "PR1500RT2U")), ("Network management card",)),
    ConfigTypeDef(11, "NAS", "NAS", (("Synology", "DiskStation DS923+", "DS923+"), ("QNAP", "TS-464", "TS-464-8G")),
                  ("DSM 7.2", "QTS 5.2")),
)

# Manufacturer references are shared by id across configurations.
MANUFACTURERS: tuple[str, ...] = (
    "Dell", "Lenovo", "HP", "Microsoft", "Apple", "HPE", "Fortinet", "SonicWall", "Cisco Meraki", "WatchGuard",
    "Palo Alto Networks", "Aruba", "Ubiquiti", "Brother", "Canon", "Ricoh", "Xerox", "Lexmark", "Epson", "Zebra",
    "Datto", "Veeam", "Axcient", "Acronis", "APC", "Eaton", "CyberPower", "Synology", "QNAP",
)
CONFIG_STATUSES: tuple[tuple[int, str], ...] = ((1, "Active"), (2, "Inactive"), (3, "Retired"))
