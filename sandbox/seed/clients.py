"""Client companies with their sites, contacts and configurations (the MSP's managed estate).

Besides the documents, keeps a compact in-memory view of each client (who works there, which
devices they use) so the ticket generator can pick plausible contacts and devices cheaply.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import catalog
from .wire import ANCHOR_TS, DAY, SeedRecord, info, iso, ref

_US = ref(1, "United States", "/company/countries", "country_href", identifier="US")
_ACTIVE_CO = {"id": 1, "name": "Active", "_info": {}}
_CONFIG_ACTIVE = ref(*catalog.CONFIG_STATUSES[0], "/company/configurations/statuses", "status_href")


@dataclass(slots=True)
class ContactInfo:
    id: int
    first: str
    last: str
    email: str
    phone: str
    site_id: int
    ref: dict[str, Any]
    login: str          # sAMAccountName-style login used in technician notes
    device: str = ""    # hostname of the contact's main workstation, if any


@dataclass(slots=True)
class DeviceInfo:
    id: int
    name: str
    type_id: int
    contact_id: int | None
    site_id: int


@dataclass(slots=True)
class ClientInfo:
    id: int
    spec: catalog.ClientDef
    ref: dict[str, Any]
    prefix: str
    sites: list[tuple[int, dict[str, Any]]] = field(default_factory=list)   # (site id, site ref)
    site_rows: dict[int, dict[str, Any]] = field(default_factory=dict)      # site id -> site doc
    contacts: list[ContactInfo] = field(default_factory=list)
    devices_by_type: dict[int, list[DeviceInfo]] = field(default_factory=dict)
    devices_by_contact: dict[int, list[DeviceInfo]] = field(default_factory=dict)
    servers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Estate:
    clients: list[ClientInfo]
    weights: list[int]                  # ticket volume weight per client (bigger clients call more)
    records: list[SeedRecord]


def company_ref(cid: int, identifier: str, name: str) -> dict[str, Any]:
    return ref(cid, name, "/company/companies", "company_href", identifier=identifier)


def _phone(rng: random.Random, area: str) -> str:
    return f"{area}555{rng.randrange(100, 10000):04d}"


_AREA = {"ID": "208", "ME": "207", "CO": "303", "OH": "937", "WI": "608", "NC": "704", "GA": "912",
         "NH": "603", "IN": "317", "WA": "509", "PA": "717", "TX": "512", "MN": "612", "AZ": "480",
         "NE": "402", "TN": "615", "VA": "757", "UT": "801", "RI": "401", "OK": "918", "KY": "502",
         "CA": "559", "FL": "813", "ND": "701", "NM": "505", "NV": "702"}


def build_estate(rng: random.Random, member_refs: dict[int, dict[str, Any]]) -> Estate:
    """Companies (the MSP first, id 1), then sites, contacts and configurations, parents first."""
    companies: list[SeedRecord] = []
    sites: list[SeedRecord] = []
    contacts: list[SeedRecord] = []
    configs: list[SeedRecord] = []
    clients: list[ClientInfo] = []
    ids = {"site": 0, "contact": 0, "config": 0, "comm": 0}

    msp = catalog.ClientDef(catalog.MSP_IDENTIFIER, catalog.MSP_NAME, "Managed Services", "Boise", "ID",
                            "83702", "250 S 5th St, Suite 700", 14, catalog.MSP_DOMAIN, "", "", "", "", "")
    for index, spec in enumerate((msp,) + catalog.CLIENTS):
        cid = index + 1
        is_msp = cid == catalog.MSP_COMPANY_ID
        cref = company_ref(cid, spec.identifier, spec.name)
        client = ClientInfo(cid, spec, cref, spec.identifier[:5].upper())
        area = _AREA[spec.state]
        acquired = ANCHOR_TS - rng.randrange(420, 3200) * DAY

        # Sites: every company has its main office; bigger clients get a second location.
        site_specs = [("Main", spec.street, spec.city, spec.state, spec.zip)]
        if not is_msp and spec.employees >= 40:
            site_specs.append((rng.choice(catalog.SITE_EXTRA_NAMES), rng.choice(catalog.SITE_EXTRA_STREETS),
                               spec.city, spec.state, spec.zip))
        for sname, street, city, state, zip_ in site_specs:
            ids["site"] += 1
            sid = ids["site"]
            sref = ref(sid, sname, f"/company/companies/{cid}/sites", "site_href")
            client.sites.append((sid, sref))
            doc = {
                "id": sid, "name": sname, "addressLine1": street, "addressLine2": None, "city": city,
                "stateReference": {"id": 1, "identifier": state, "name": state, "_info": {}},
                "zip": zip_, "country": _US, "phoneNumber": _phone(rng, area), "faxNumber": None,
                "company": cref, "primaryAddressFlag": sname == "Main", "defaultShippingFlag": sname == "Main",
                "defaultBillingFlag": sname == "Main", "defaultMailingFlag": sname == "Main",
                "inactiveFlag": False, "mobileGuid": None, "calendar": None, "timeZone": None,
                "_info": info(acquired + DAY, "jmorales", acquired, "jmorales"),
            }
            client.site_rows[sid] = doc
            sites.append(SeedRecord("sites", doc))

        # Contacts: 4-15 people who actually call the help desk, scaled by headcount.
        n_contacts = 4 if is_msp else min(15, max(4, 3 + spec.employees // 10 + rng.randrange(-1, 3)))
        used: set[tuple[str, str]] = set()
        for n in range(n_contacts):
            first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
            while (first, last) in used:
                first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
            used.add((first, last))
            ids["contact"] += 1
            ctid = ids["contact"]
            sid, sref = client.sites[0] if n < 3 or len(client.sites) == 1 else rng.choice(client.sites)
            email = f"{first[0]}{last}".lower().replace("'", "") + "@" + spec.domain
            phone = _phone(rng, area)
            login = f"{first[0]}{last}".lower().replace("'", "")
            title = "Office Manager" if n == 0 else rng.choice(catalog.CONTACT_TITLES)
            info_ = ContactInfo(ctid, first, last, email, phone, sid,
                                ref(ctid, f"{first} {last}", "/company/contacts", "contact_href"), login)
            client.contacts.append(info_)
            comms = []
            for ctype, value, comm_type in ((("Email", 1), email, "Email"), (("Direct", 2), phone, "Phone")):
                ids["comm"] += 1
                comms.append({"id": ids["comm"], "type": {"id": ctype[1], "name": ctype[0], "_info": {}},
                              "value": value, "defaultFlag": True, "communicationType": comm_type})
            site_row = client.site_rows[sid]
            contacts.append(SeedRecord("contacts", {
                "id": ctid, "firstName": first, "lastName": last, "company": cref, "site": sref,
                "addressLine1": site_row["addressLine1"], "city": site_row["city"], "state": spec.state,
                "zip": site_row["zip"], "country": _US, "inactiveFlag": False, "title": title,
                "defaultPhoneType": "Direct", "defaultPhoneNbr": phone, "defaultFlag": n == 0,
                "defaultBillingFlag": n == 0, "disablePortalLoginFlag": False, "unsubscribeFlag": False,
                "communicationItems": comms,
                "types": [{"id": 1, "name": "Primary Contact" if n == 0 else "End User", "_info": {}}],
                "_info": info(acquired + 2 * DAY + n * 3600, "jmorales", acquired + DAY, "jmorales"),
            }))

        if not is_msp:
            configs.extend(_configurations(rng, client, ids, member_refs, acquired))
        primary = client.contacts[0]
        site_id, site_ref = client.sites[0]
        companies.append(SeedRecord("companies", {
            "id": cid, "identifier": spec.identifier, "name": spec.name, "status": _ACTIVE_CO,
            "addressLine1": spec.street, "addressLine2": None, "city": spec.city, "state": spec.state,
            "zip": spec.zip, "country": _US, "phoneNumber": client.site_rows[site_id]["phoneNumber"],
            "faxNumber": None, "website": f"www.{spec.domain}",
            "territory": {"id": 1, "name": "Mountain West" if spec.state in ("ID", "UT", "CO", "NV", "AZ", "NM")
                          else "National", "_info": {}},
            "market": {"id": 1, "name": spec.industry, "_info": {}},
            "accountNumber": f"{1000 + cid}", "defaultContact": primary.ref,
            "dateAcquired": iso(acquired), "numberOfEmployees": spec.employees,
            "leadFlag": False, "unsubscribeFlag": False, "deletedFlag": False, "isVendorFlag": False,
            "types": [{"id": 1 if is_msp else 2, "name": "Owner" if is_msp else "Client", "_info": {}}],
            "site": site_ref, "billingSite": site_ref, "billingContact": primary.ref,
            "territoryManager": member_refs[1], "userDefinedField1": None,
            "customFields": [{"id": 1, "caption": "Managed Services Tier", "type": "Text",
                              "entryMethod": "List", "numberOfDecimals": 0,
                              "value": "Internal" if is_msp else rng.choice(("Essentials", "Pro", "Complete"))}],
            "_info": info(acquired + 30 * DAY, "dpatel", acquired, "dpatel"),
        }))
        clients.append(client)

    weights = [0] + [max(2, c.spec.employees // 4) for c in clients[1:]]
    return Estate(clients, weights, companies + sites + contacts + configs)


_SERVER_ROLES = (("DC01", "Domain controller, DNS, DHCP"), ("FS01", "File server, print server"),
                 ("APP01", "Line-of-business application server"), ("RDS01", "Remote Desktop Session Host"))


def _mac(rng: random.Random) -> str:
    return "-".join(f"{rng.randrange(256):02X}" for _ in range(6))


def _configurations(rng: random.Random, client: ClientInfo, ids: dict[str, int],
                    member_refs: dict[int, dict[str, Any]], acquired: int) -> list[SeedRecord]:
    """Workstations per contact, network gear per site, and the shared infrastructure."""
    spec = client.spec
    out: list[SeedRecord] = []
    counters: dict[str, int] = {}
    net = f"10.{rng.randrange(10, 250)}"

    def add(type_def: catalog.ConfigTypeDef, name: str, site_id: int, site_ref: dict[str, Any],
            manufacturer: str, model: str, model_no: str, os_: str, contact: ContactInfo | None = None,
            ip: str | None = None, notes: str = "", extra: dict[str, Any] | None = None) -> str:
        ids["config"] += 1
        cfg_id = ids["config"]
        purchased = max(acquired, ANCHOR_TS - rng.randrange(60, 1800) * DAY)
        warranty_years = 3 if type_def.per_user else 5
        device = DeviceInfo(cfg_id, name, type_def.id, contact.id if contact else None, site_id)
        client.devices_by_type.setdefault(type_def.id, []).append(device)
        if contact is not None:
            client.devices_by_contact.setdefault(contact.id, []).append(device)
        man_id = catalog.MANUFACTURERS.index(manufacturer) + 1 if manufacturer in catalog.MANUFACTURERS else 1
        doc: dict[str, Any] = {
            "id": cfg_id, "name": name,
            "type": ref(type_def.id, type_def.name, "/company/configurations/types", "type_href"),
            "status": _CONFIG_ACTIVE,
            "company": client.ref, "contact": contact.ref if contact else None, "site": site_ref,
            "locationId": 1, "businessUnitId": 1,
            "deviceIdentifier": f"{rng.getrandbits(64):016x}",
            "serialNumber": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10)),
            "modelNumber": model_no, "tagNumber": f"{client.prefix}-{cfg_id:05d}",
            "purchaseDate": iso(purchased), "installationDate": iso(purchased + 7 * DAY),
            "installedBy": member_refs[rng.choice((3, 4, 6, 10, 11))],
            "warrantyExpirationDate": iso(purchased + warranty_years * 365 * DAY),
            "vendorNotes": None, "notes": notes or f"{manufacturer} {model}",
            "macAddress": _mac(rng), "lastLoginName": f"{spec.domain.split('.')[0].upper()[:15]}\\{contact.login}"
            if contact else None,
            "billFlag": True, "ipAddress": ip if ip is not None else f"{net}.{rng.randrange(1, 4)}.{rng.randrange(20, 250)}",
            "defaultGateway": f"{net}.1.1", "osType": os_, "osInfo": os_,
            "manufacturer": {"id": man_id, "name": manufacturer, "_info": {}},
            "activeFlag": True, "needsRenewalFlag": purchased + warranty_years * 365 * DAY < ANCHOR_TS + 60 * DAY,
            "manufacturerPartNumber": model_no, "questions": [],
            "_info": info(ANCHOR_TS - rng.randrange(1, 90) * DAY, "rmmagent", purchased + 7 * DAY, "kbrooks"),
        }
        if extra:
            doc.update(extra)
        out.append(SeedRecord("configurations", doc))
        return name

    def next_name(prefix: str) -> str:
        counters[prefix] = counters.get(prefix, 0) + 1
        return f"{client.prefix}-{prefix}{counters[prefix]:03d}"

    laptop, desktop = catalog.CONFIG_TYPES[0], catalog.CONFIG_TYPES[1]
    for contact in client.contacts:
        kind = laptop if rng.random() < 0.65 else desktop
        man, model, model_no = rng.choice(kind.models)
        os_ = "macOS 15 Sequoia" if man == "Apple" else rng.choice([o for o in kind.os if not o.startswith("mac")])
        site_ref = dict(client.sites)[contact.site_id]
        contact.device = add(kind, next_name(kind.prefix), contact.site_id, site_ref, man, model, model_no, os_,
                             contact, extra={"cpuSpeed": rng.choice(("2.60 GHz", "3.10 GHz", "1.80 GHz")),
                                             "ram": rng.choice(("16 GB", "16 GB", "32 GB", "8 GB")),
                                             "localHardDrives": rng.choice(("C: 476 GB NVMe", "C: 238 GB NVMe",
                                                                           "C: 953 GB NVMe"))})

    fw_vendor = spec.firewall.split()[0]
    fw_man = {"Fortinet": "Fortinet", "SonicWall": "SonicWall", "Meraki": "Cisco Meraki",
              "WatchGuard": "WatchGuard", "Palo": "Palo Alto Networks"}[fw_vendor]
    fw_os = {"Fortinet": "FortiOS 7.4.5", "SonicWall": "SonicOS 7.1.2", "Meraki": "MX 18.211",
             "WatchGuard": "Fireware 12.11", "Palo": "PAN-OS 11.1.4"}[fw_vendor]
    for site_id, site_ref in client.sites:
        main = site_id == client.sites[0][0]
        add(catalog.CONFIG_TYPES[3], next_name("FW"), site_id, site_ref, fw_man, spec.firewall,
            spec.firewall.split()[-1], fw_os, ip=f"{net}.1.1", notes=f"Edge firewall. VPN: {spec.vpn}.")
        sw = catalog.CONFIG_TYPES[4]
        for _ in range(1 + spec.employees // 60):
            man, model, model_no = rng.choice(sw.models)
            add(sw, next_name("SW"), site_id, site_ref, man, model, model_no, "Switch firmware")
        ap = catalog.CONFIG_TYPES[5]
        for _ in range(2 + spec.employees // 40):
            man, model, model_no = rng.choice(ap.models)
            add(ap, next_name("AP"), site_id, site_ref, man, model, model_no, "AP firmware")
        prn = catalog.CONFIG_TYPES[6]
        for _ in range(1 + spec.employees // 50):
            man = spec.printer.split()[0]
            add(prn, next_name("PRN"), site_id, site_ref, man if man in catalog.MANUFACTURERS else "HP",
                spec.printer, spec.printer.split()[-1], "Embedded", ip=f"{net}.1.{rng.randrange(200, 240)}")
        if main:
            srv = catalog.CONFIG_TYPES[2]
            for role, desc in _SERVER_ROLES[: 1 + min(3, spec.employees // 30)]:
                man, model, model_no = rng.choice(srv.models)
                name = f"{client.prefix}-{role}"
                client.servers.append(name)
                add(srv, name, site_id, site_ref, man, model, model_no, rng.choice(srv.os),
                    ip=f"{net}.1.{10 + len(client.servers)}", notes=desc,
                    extra={"cpuSpeed": "2.40 GHz", "ram": rng.choice(("64 GB", "128 GB", "32 GB")),
                           "localHardDrives": "C: 200 GB, D: 2 TB RAID 10"})
            ups = catalog.CONFIG_TYPES[9]
            man, model, model_no = rng.choice(ups.models)
            add(ups, next_name("UPS"), site_id, site_ref, man, model, model_no, "Network management card")
            bdr = catalog.CONFIG_TYPES[8]
            bman = spec.backup.split()[0]
            add(bdr, next_name("BDR"), site_id, site_ref, bman, spec.backup, spec.backup.split()[-1],
                "Appliance OS", notes=f"{spec.backup}; protects {', '.join(client.servers)}",
                extra={"backupSuccesses": rng.randrange(20, 31), "backupFailed": rng.randrange(0, 3),
                       "backupIncomplete": rng.randrange(0, 2), "backupRestores": rng.randrange(0, 3),
                       "lastBackupDate": iso(ANCHOR_TS - rng.randrange(1, 20) * 3600),
                       "backupServerName": f"{client.prefix}-BDR", "backupBillableSpaceGb": float(rng.randrange(400, 6000)),
                       "backupProtectedDeviceList": ", ".join(client.servers),
                       "backupYear": 2026, "backupMonth": 10})
            m365 = catalog.CONFIG_TYPES[7]
            add(m365, f"{spec.domain} (Microsoft 365)", site_id, site_ref, "Microsoft",
                "Microsoft 365 Business Premium", "M365BP", "Cloud", ip="",
                notes=f"Tenant {spec.domain.split('.')[0]}.onmicrosoft.com; {len(client.contacts)}+ licensed users")
            if spec.employees >= 30:
                nas = catalog.CONFIG_TYPES[10]
                man, model, model_no = rng.choice(nas.models)
                add(nas, next_name("NAS"), site_id, site_ref, man, model, model_no, rng.choice(nas.os))
    return out
