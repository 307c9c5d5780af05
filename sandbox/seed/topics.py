"""Ticket topics: what MSP clients actually call about, with template families per topic.

Each topic carries the wording for every stage of a ticket (the customer's first message, the
technician's updates, internal analysis, the resolution) plus the knowledge-base articles that
describe the same fix. Resolutions deliberately reuse the KB articles' steps and vocabulary, so a
KB-retrieval feature can match resolved tickets to articles the way it would in a real PSA.

Templates use ``str.format`` slots. Slots every ticket fills (see tickets.py): first, name, email,
login, host, company, domain, tenant, server, printer, vpn, firewall, backup, app, tech, site, day,
coworker. Topic-specific slots are listed in ``Topic.slots``; one value of each is drawn per ticket.

A topic's text pools are shared by several distinct problems (a lockout is not an expired password),
so ``SCENARIOS`` groups them: a ticket draws one scenario and takes every stage's text from it, which
keeps its summary, notes and resolution telling one story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LAPTOP, DESKTOP, SERVER, FIREWALL, SWITCH, AP, PRINTER, M365, BDR, UPS, NAS = range(1, 12)
WORKSTATIONS = (LAPTOP, DESKTOP)


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    board: int                    # catalog.BOARDS id
    type: str                     # board type name
    subtypes: tuple[str, ...]     # board subtype names (under ``type``)
    weight: int                   # relative ticket volume
    priorities: tuple[int, ...]   # priority ids, drawn uniformly (repeat to weight)
    devices: tuple[int, ...]      # configuration type ids a ticket of this topic links
    sources: tuple[str, ...]
    hours: tuple[float, float]    # typical total hours worked (min, max)
    summaries: tuple[str, ...]
    descriptions: tuple[str, ...]  # initial description: the customer's words, or the RMM alert body
    updates: tuple[str, ...]       # technician discussion notes (visible to the customer)
    internal: tuple[str, ...]      # internal analysis notes (technician to technician)
    replies: tuple[str, ...]       # customer follow-ups
    resolutions: tuple[str, ...]
    kb: tuple[tuple[str, str, str], ...]   # generic (title, issue, resolution) articles
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alert: bool = False            # opened by the RMM integration instead of a contact


_GENERIC_REPLIES = (
    "Thanks {tech}, that seems to have done it. I'll let you know if it comes back.",
    "Still happening on my end, I tried again just now. Are you able to look at it this afternoon?",
    "I'm in meetings until 2 but free after that if you need to remote in.",
    "Thank you! Working now.",
    "Just following up on this, it's still an issue for me and a couple of others here.",
    "Got it, I restarted like you asked. Same thing unfortunately.",
    "That worked, appreciate the quick help.",
    "Sorry I missed your call, I'm back at my desk now.",
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        "password_reset", 1, "Account Management", ("Password Reset", "Account Lockout"), 95, (3, 3, 2, 4),
        WORKSTATIONS, ("Phone", "Email Connector", "Portal", "Chat"), (0.25, 0.75),
        summaries=(
            "Password reset for {name}", "Locked out of Windows account - {name}",
            "{first} can't log in - account locked", "Account lockout {login} - repeated",
            "Password expired, can't sign in to computer", "Reset password - {name} ({company})",
        ),
        descriptions=(
            "Hi, I changed my password yesterday and now my computer says my account is locked out. "
            "I can't get into anything. Can someone unlock it? My username is {login}.",
            "My password expired this morning and when I try to change it on {host} it says it doesn't meet "
            "the requirements. I've tried 5 different ones. Please help, I have clients at 10.",
            "I keep getting locked out every 20 minutes or so even after I type the right password. "
            "It started after I changed it on my phone. -{first}",
            "Forgot my password after vacation. Need a reset please. Call me at my desk.",
        ),
        updates=(
            "Hi {first}, I've unlocked your account and set a temporary password. You'll be asked to change "
            "it at next sign-in. Passwords need 14+ characters and can't reuse your last 10.",
            "Called {first}, verified identity via callback to the number on file. Reset pw in AD and forced "
            "sync to Entra ID, user signed in on {host} OK.",
            "{first}, the lockouts were caused by your phone still using the old password for email. Please "
            "remove and re-add the mail account on your phone with the new password.",
        ),
        internal=(
            "Checked lockout source on {server}: Event ID 4740 shows caller computer {lockout_src}. Old "
            "creds cached there. Cleared Credential Manager entries and stale mapped drive creds.",
            "Account {login} shows badPwdCount climbing every ~30 min from ActiveSync. Phone mail profile "
            "has old password. Asked user to update phone. Unlocked in ADUC.",
            "Identity verified per SOP (callback to number in PSA). Reset done in ADUC, ran "
            "Start-ADSyncSyncCycle -PolicyType Delta on {server}, confirmed in Entra sign-in logs.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Verified identity by callback, unlocked {login} in Active Directory and reset the password with "
            "change at next logon. Forced an Entra Connect delta sync. Lockout source was stale saved "
            "credentials on {lockout_src}; cleared Credential Manager. User signed in successfully.",
            "Password reset completed after identity verification. Removed the old mail account password on "
            "the user's phone (ActiveSync) that was causing repeated lockouts. No further 4740 events.",
            "Unlocked account, reset password, confirmed sign-in on {host} and in Outlook. Reminded user about "
            "the 14-character passphrase policy and the self-service password reset portal.",
        ),
        kb=(
            ("Unlock and reset an Active Directory account (hybrid Entra ID)",
             "A user cannot sign in to Windows or Microsoft 365 because the account is locked out or the "
             "password has expired. Lockouts may repeat every few minutes if an old password is cached "
             "somewhere.",
             "1. Verify the caller's identity by calling back the number stored on the contact record; never "
             "reset on an inbound call alone. 2. In Active Directory Users and Computers, open the account, "
             "tick 'Unlock account' and reset the password with 'User must change password at next logon'. "
             "3. On the Entra Connect server run Start-ADSyncSyncCycle -PolicyType Delta so cloud sign-in "
             "picks up the change. 4. Have the user sign in and confirm Outlook and Teams reconnect. "
             "5. If lockouts recur, see 'Find the source of repeated account lockouts'."),
            ("Find the source of repeated account lockouts",
             "An account is locked out again shortly after being unlocked. Usually a phone, a mapped drive or "
             "a saved credential keeps trying the old password.",
             "1. On a domain controller, filter the Security log for Event ID 4740; the 'Caller Computer "
             "Name' shows where the bad attempts come from. 2. If the caller is the Exchange/ActiveSync "
             "endpoint, the user's phone mail profile has the old password: remove and re-add the account. "
             "3. If it is a workstation, clear Windows Credential Manager entries and disconnect stale mapped "
             "drives and RDP saved credentials. 4. Check scheduled tasks and services running as the user. "
             "5. Unlock the account and watch badPwdCount for 30 minutes to confirm."),
            ("Self-service password reset (SSPR) enrollment for end users",
             "Users call the help desk for every expired password because they have not registered for "
             "Microsoft self-service password reset.",
             "1. Confirm SSPR is enabled for the user's group in Entra ID > Password reset. 2. Ask the user to "
             "browse to https://aka.ms/ssprsetup and register the Authenticator app and a mobile number. "
             "3. Enable password writeback in Entra Connect so resets apply to on-prem AD. 4. Test with the "
             "user: sign out, choose 'Forgot my password' at https://aka.ms/sspr and complete the reset. "
             "5. Document the enrollment in the ticket."),
        ),
        slots={"lockout_src": ("{host}", "EXCH-ActiveSync", "{server}", "a conference room PC")},
    ),
    Topic(
        "mfa", 1, "Account Management", ("MFA",), 45, (3, 2, 3),
        (M365,), ("Phone", "Email Connector", "Chat"), (0.25, 0.75),
        summaries=(
            "New phone - need MFA re-registered for {name}", "Not receiving MFA prompts in Authenticator",
            "MFA locked out, lost phone - {name}", "Authenticator asking for number I don't see",
            "Can't approve sign-in, got a new iPhone",
        ),
        descriptions=(
            "I got a new phone over the weekend and the Authenticator app didn't transfer. Now I can't sign "
            "in to email on my laptop. What do I do?",
            "Microsoft keeps asking me to enter a number in the Authenticator app but no notification shows "
            "up on my phone. I've tried about 10 times.",
            "Lost my phone at the airport. I need to get into Outlook and Teams today. Can you help?",
        ),
        updates=(
            "Hi {first}, I've cleared your old MFA methods. Next time you sign in you'll be asked to set up "
            "the Microsoft Authenticator app again - scan the QR code with your new phone.",
            "{first}, I issued a Temporary Access Pass valid for 8 hours so you can sign in and register the "
            "app. I'll call you with the code.",
        ),
        internal=(
            "Verified via callback. Entra ID > Users > {name} > Authentication methods: removed old "
            "Authenticator (iPhone 12), revoked sessions, issued TAP (8h, one-time).",
            "Sign-in logs show MFA denied, 'user did not respond'. Notifications disabled for Authenticator "
            "on the device. Walked user through iOS Settings > Notifications.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Identity verified by callback. Removed the old authentication methods in Entra ID, issued a "
            "Temporary Access Pass and had the user re-register Microsoft Authenticator on the new phone. "
            "Sign-in with number matching confirmed.",
            "Notifications for Authenticator were disabled on the phone. Re-enabled them, confirmed number "
            "matching prompt arrives and sign-in succeeds.",
        ),
        kb=(
            ("Re-register MFA after a lost or replaced phone (Temporary Access Pass)",
             "A user replaced or lost the phone holding Microsoft Authenticator and can no longer complete "
             "multi-factor authentication for Microsoft 365.",
             "1. Verify identity by callback to the number on file or by the user's manager. 2. In the Entra "
             "admin center open the user > Authentication methods and delete the old Authenticator and phone "
             "methods. 3. Select 'Revoke sessions'. 4. Add a Temporary Access Pass (one-time, 8 hours) and "
             "read it to the user by phone. 5. The user signs in at https://aka.ms/mysecurityinfo with the "
             "TAP and adds Microsoft Authenticator on the new phone. 6. Test a sign-in with number matching."),
            ("Authenticator number-matching prompt never arrives",
             "Users are asked to enter a number in Microsoft Authenticator but no push notification appears "
             "on the phone.",
             "1. Check the Entra sign-in logs for the attempt; 'user did not respond' means the push was sent. "
             "2. On the phone enable notifications for Authenticator (iOS Settings > Notifications; Android "
             "App info > Notifications) and disable battery optimisation for the app. 3. Open Authenticator "
             "and pull down to refresh; pending requests appear. 4. If the account shows an error, remove and "
             "re-add it via https://aka.ms/mysecurityinfo. 5. Confirm the time on the phone is automatic."),
        ),
    ),
    Topic(
        "outlook", 1, "Email & Collaboration", ("Outlook",), 80, (3, 3, 4, 2),
        WORKSTATIONS + (M365,), ("Email Connector", "Phone", "Portal"), (0.5, 1.5),
        summaries=(
            "Outlook not syncing new email - {name}", "Outlook keeps asking for password",
            "Outlook search not returning results", "Outlook crashes on open ({host})",
            "Emails stuck in Outbox", "Outlook disconnected / working offline - {first}",
        ),
        descriptions=(
            "My Outlook hasn't gotten any new email since this morning but I can see new messages on my "
            "phone. I already closed and reopened it.",
            "Outlook keeps popping up a box asking for my password every few minutes. I type it in and it "
            "just asks again.",
            "When I search in Outlook it says 'We couldn't find what you're looking for' even for emails I "
            "know are there from last week.",
            "Outlook closes by itself as soon as I open it. I get an error about {err}. Need this fixed ASAP.",
            "I have 3 emails stuck in my outbox that won't send. One has an attachment about 30MB.",
        ),
        updates=(
            "Hi {first}, I've rebuilt your Outlook profile. It will take a while to re-download your mailbox; "
            "please leave Outlook open.",
            "{first}, the message in your Outbox was over the 25 MB limit. I've moved it to Drafts - please "
            "share the file as a OneDrive link instead.",
            "Remoted in to {host}. Ran a repair of Microsoft 365 Apps (quick repair) and cleared cached "
            "credentials. Outlook connected and syncing now.",
        ),
        internal=(
            "Outlook {ver} on {host}. Mailbox 48 GB of 50 GB quota - close to full. Online archive is enabled "
            "but no retention policy applied. Suggest applying the 2-year archive policy.",
            "Credential prompts: WAM broker corrupted. Removed stale entries from Credential Manager, "
            "signed out of Office accounts, deleted %localappdata%\\Packages\\Microsoft.AAD.BrokerPlugin_* "
            "contents after backing up. Prompts stopped.",
            "Search index: Indexing Options showed 0 items for Outlook. Rebuilt index, WSearch service was "
            "stopped. Set to Automatic (Delayed Start).",
            "Crash faulting module olmapi32.dll. Disabled COM add-ins (Adobe PDFMaker, old CRM add-in) - "
            "Outlook opens clean in safe mode. Left add-in disabled.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Created a new Outlook profile via Control Panel > Mail, set it as default and let the OST "
            "re-sync. New mail arriving normally. Old profile removed after confirming.",
            "Repeated password prompts fixed by clearing Windows Credential Manager Office entries, "
            "resetting the AAD broker plugin and signing back in to Microsoft 365 Apps.",
            "Rebuilt the Windows Search index and set the Windows Search service to automatic. Outlook search "
            "returns results again.",
            "Disabled the faulting COM add-in and ran an Office quick repair. Outlook starts normally.",
        ),
        kb=(
            ("Outlook not receiving new mail: rebuild the Outlook profile",
             "Outlook on Windows stops receiving new messages while Outlook on the web and the phone show "
             "them. Often follows a password change or a corrupted OST file.",
             "1. Confirm the mail arrives in Outlook on the web. 2. Check the status bar for 'Working Offline' "
             "or 'Disconnected' and toggle Send/Receive > Work Offline. 3. Close Outlook, open Control Panel > "
             "Mail (Microsoft Outlook) > Show Profiles > Add, and create a new profile signed in with the "
             "user's UPN. 4. Set 'Always use this profile' to the new one and open Outlook; let the mailbox "
             "sync (cached mode, 12 months). 5. Remove the old profile once the user confirms nothing is "
             "missing."),
            ("Outlook repeatedly prompts for password (Microsoft 365)",
             "Outlook keeps asking for credentials every few minutes even when the correct password is "
             "entered.",
             "1. Close all Office apps. 2. In Credential Manager > Windows Credentials remove entries starting "
             "with MicrosoftOffice16 and msteams. 3. In any Office app go to File > Account > Sign out. "
             "4. Back up and clear %localappdata%\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy\\AC"
             "\\TokenBroker. 5. Restart, open Outlook and sign in once. 6. If it persists, check Settings > "
             "Accounts > Access work or school and reconnect the work account."),
            ("Outlook search returns no results",
             "Instant Search in Outlook returns nothing or only old results.",
             "1. In Outlook, File > Options > Search > Indexing Options, check Microsoft Outlook is included. "
             "2. Confirm the Windows Search (WSearch) service is running and set to Automatic (Delayed "
             "Start). 3. Indexing Options > Advanced > Rebuild. Allow a few hours for large mailboxes. "
             "4. For Microsoft 365 mailboxes, search uses the service when online; check the status bar is "
             "not 'Working Offline'."),
            ("Outlook crashes on startup: disable faulty add-ins",
             "Outlook closes or hangs immediately after opening; the Application event log shows Event 1000 "
             "with a faulting module such as olmapi32.dll or an add-in DLL.",
             "1. Start Outlook in safe mode (outlook.exe /safe). If it opens, an add-in is at fault. 2. File > "
             "Options > Add-ins > COM Add-ins > Go, untick add-ins one at a time. 3. Run Office quick repair "
             "from Settings > Apps > Microsoft 365 Apps > Modify. 4. If still crashing, create a new profile "
             "(see 'Outlook not receiving new mail')."),
        ),
        slots={"ver": ("Version 2409 (Build 18025.20160)", "Version 2502 (Build 18526.20264)",
                       "Version 2508 (Build 19127.20222)"),
               "err": ("olmapi32.dll", "'Cannot start Microsoft Outlook. Cannot open the set of folders'",
                       "0x8004010F", "'The operation failed. An object could not be found'")},
    ),
    Topic(
        "teams", 1, "Email & Collaboration", ("Teams",), 45, (3, 4, 3),
        WORKSTATIONS, ("Phone", "Chat", "Email Connector"), (0.25, 1.0),
        summaries=(
            "Teams - no audio in meetings ({host})", "Camera not working in Teams", "Teams stuck on loading",
            "Teams notifications not showing - {name}", "Can't share screen in Teams",
        ),
        descriptions=(
            "Nobody can hear me in Teams meetings. My headset works fine for music. This started today.",
            "Teams just spins on the purple loading screen and never opens. I restarted twice.",
            "My camera shows a black screen in Teams but works in the Camera app. I have a client call at 2.",
            "When I try to share my screen the other people just see a black window.",
        ),
        updates=(
            "Hi {first}, I cleared the Teams cache and reset the app. Please sign back in and test with a "
            "test call (Settings > Devices > Make a test call).",
            "{first}, Teams was set to use the laptop speakers instead of your headset. I changed it under "
            "Settings > Devices. Let me know if the next meeting is OK.",
        ),
        internal=(
            "New Teams {ver}. Cache at %localappdata%\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache. Reset "
            "app via Settings > Apps > Microsoft Teams > Advanced options > Reset.",
            "Camera privacy toggle for desktop apps was off after Windows update. Turned on 'Let desktop apps "
            "access your camera'.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Reset the new Teams app (Settings > Apps > Microsoft Teams > Advanced options > Reset), which "
            "clears the cache, then signed back in. Test call OK.",
            "Selected the correct headset in Teams Settings > Devices and updated the audio driver. Audio "
            "works in test call and next meeting.",
            "Enabled camera access for desktop apps in Windows Privacy settings. Camera works in Teams.",
        ),
        kb=(
            ("Reset the new Microsoft Teams client (clear cache)",
             "Teams hangs on the loading screen, shows a blank window or behaves oddly after an update.",
             "1. Quit Teams from the system tray. 2. Open Settings > Apps > Installed apps > Microsoft Teams > "
             "Advanced options and click Reset (this clears %localappdata%\\Packages\\MSTeams_8wekyb3d8bbwe). "
             "3. Start Teams and sign in. 4. If the app still fails, uninstall it and reinstall with the "
             "teamsbootstrapper.exe -p command as admin."),
            ("No audio or camera in Teams meetings",
             "Other participants cannot hear the user, or the camera shows black in Teams while working in "
             "other apps.",
             "1. In Teams > Settings > Devices pick the right speaker, microphone and camera and make a test "
             "call. 2. Windows Settings > Privacy & security > Camera and Microphone: allow desktop apps. "
             "3. Unplug docks/USB hubs and connect the headset directly. 4. Update audio/camera drivers "
             "from the OEM tool (Dell Command Update, Lenovo Vantage, HP Support Assistant). 5. Reset the "
             "Teams app if the device list is empty."),
        ),
        slots={"ver": ("25212.2204.3858.2155", "25153.1010.3727.5483", "24335.208.3315.1951")},
    ),
    Topic(
        "onedrive", 1, "Email & Collaboration", ("OneDrive / SharePoint",), 50, (3, 3, 4),
        WORKSTATIONS + (M365,), ("Email Connector", "Phone", "Portal"), (0.5, 1.5),
        summaries=(
            "OneDrive not syncing - red X on files", "SharePoint library not syncing to {host}",
            "OneDrive sync error {err}", "Files missing from synced SharePoint folder",
            "OneDrive says 'processing changes' for days",
        ),
        descriptions=(
            "Lots of my files in OneDrive have red X's on them and the ones I saved yesterday aren't on my "
            "other computer.",
            "The shared {dept} folder from SharePoint stopped syncing to my computer. Others can see my "
            "changes but I don't see theirs.",
            "OneDrive has said 'processing changes' for 3 days. The icon is spinning constantly.",
            "I get an error {err} when I try to sync the {dept} library.",
        ),
        updates=(
            "Hi {first}, a few file names contained characters SharePoint doesn't allow, and one path was "
            "over 400 characters. I renamed them and sync completed.",
            "{first}, I reset the OneDrive client and re-linked the library. It will take a while to "
            "re-check files - please keep the computer on.",
        ),
        internal=(
            "Sync issue count 1,400+. Root cause: deep folder nesting from a zip extract, path > 400 chars. "
            "Moved folder up two levels.",
            "OneDrive {ver}. Ran onedrive.exe /reset, then re-added account. Known-folder move still healthy.",
            "User was syncing 300k items across 6 libraries. Over the 300k recommended limit. Removed 3 "
            "libraries they don't need and switched to 'Add shortcut to My files'.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Fixed invalid characters and over-length paths reported in OneDrive's 'View sync problems', then "
            "sync completed. No errors remaining.",
            "Reset the OneDrive client (onedrive.exe /reset), signed back in and re-synced the SharePoint "
            "library. Files up to date.",
            "Reduced the number of synced items below the recommended limit by unsyncing unused libraries. "
            "'Processing changes' cleared.",
        ),
        kb=(
            ("OneDrive / SharePoint sync errors: red X and 'processing changes'",
             "Files show a red X, OneDrive stays on 'processing changes', or changes do not appear on other "
             "devices.",
             "1. Click the OneDrive cloud icon > View sync problems to list the failing files. 2. Rename "
             "files with invalid characters (\" * : < > ? / \\ |) or names like .lock/CON, and shorten paths "
             "over 400 characters. 3. Check the user's storage quota. 4. If sync is stuck, run "
             "%localappdata%\\Microsoft\\OneDrive\\onedrive.exe /reset, wait two minutes, then start "
             "OneDrive again. 5. Keep the total synced items under 300,000; use 'Add shortcut to My files' "
             "for large libraries."),
            ("Re-link a SharePoint document library that stopped syncing",
             "A SharePoint library synced to File Explorer stops updating for one user while others are fine.",
             "1. OneDrive settings > Account > Stop sync on the affected library. 2. Rename the old local "
             "folder as a backup. 3. In the browser open the library and click Sync (or Add shortcut to My "
             "files). 4. Confirm permissions on the library if Sync is greyed out. 5. Compare the backup "
             "folder for unsynced local changes and upload them."),
        ),
        slots={"err": ("0x8004de40", "0x80070184", "0x8004def7", "0x80071129"),
               "dept": ("Accounting", "Operations", "Clients", "HR", "Marketing", "Projects"),
               "ver": ("25.164.0824.0003", "25.111.0605.0002", "24.244.1204.0003")},
    ),
    Topic(
        "shared_mailbox", 1, "Email & Collaboration", ("Shared Mailbox",), 30, (4, 3),
        (M365,), ("Email Connector", "Portal"), (0.25, 0.5),
        summaries=(
            "Add {name} to {mailbox} shared mailbox", "Can't see {mailbox} mailbox in Outlook",
            "Calendar permissions for {name}", "Send As permission for {mailbox}",
        ),
        descriptions=(
            "Please give me access to the {mailbox} mailbox. My manager approved it.",
            "I was added to the {mailbox} mailbox last week but it still doesn't show up in Outlook.",
            "Can you give {coworker} edit access to my calendar? They're helping with scheduling now.",
            "I need to be able to send emails as {mailbox}@{domain}, right now it says I don't have "
            "permission.",
        ),
        updates=(
            "Hi {first}, you now have Full Access and Send As on {mailbox}@{domain}. It should appear in "
            "Outlook within an hour - restart Outlook if it doesn't.",
            "{first}, access granted. In Outlook, when sending pick the From field and choose {mailbox}.",
        ),
        internal=(
            "Add-MailboxPermission -Identity {mailbox}@{domain} -User {email} -AccessRights FullAccess "
            "-AutoMapping $true; Add-RecipientPermission for SendAs. Approval from office manager attached.",
            "Automapping doesn't apply when access comes via a group. Added user directly.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Granted Full Access (with automapping) and Send As on the {mailbox} shared mailbox in Exchange "
            "Online after manager approval. User confirmed mailbox visible and sending works.",
            "Calendar delegate permissions set (Editor) via Set-MailboxFolderPermission. Confirmed.",
        ),
        kb=(
            ("Grant access to a shared mailbox in Exchange Online",
             "A user needs to read or send from a shared mailbox (info@, billing@, etc.).",
             "1. Get written approval from the mailbox owner or office manager and attach it to the ticket. "
             "2. Exchange admin center > Recipients > Mailboxes > the shared mailbox > Delegation: add the "
             "user to Read and manage (Full Access) and Send as. 3. Or in PowerShell: Add-MailboxPermission "
             "-Identity shared@domain -User user@domain -AccessRights FullAccess -AutoMapping $true and "
             "Add-RecipientPermission -Identity shared@domain -Trustee user@domain -AccessRights SendAs. "
             "4. Automapping can take up to an hour; restart Outlook. Access granted through a group does "
             "not automap."),
        ),
        slots={"mailbox": ("info", "billing", "scheduling", "hr", "accounts-payable", "support", "frontdesk")},
    ),
    Topic(
        "printer", 1, "Hardware", ("Printer / Scanner",), 70, (3, 4, 3),
        (PRINTER,), ("Phone", "Email Connector", "Portal", "Walk-In"), (0.5, 1.5),
        summaries=(
            "Printer offline - {printer}", "Print jobs stuck in queue ({site})", "Scan to email not working",
            "Can't print from {host}", "{printer} showing error {err}", "Printer printing blank pages",
        ),
        descriptions=(
            "The printer by the front desk says offline on everyone's computer. It's on and has paper.",
            "Nothing is printing, the jobs just sit in the queue. I tried turning the printer off and on.",
            "Scan to email stopped working, it says 'Send error' on the printer screen. We scan a lot of "
            "intake forms so this is urgent.",
            "The {printer} has an error {err} on the display and won't print anything.",
        ),
        updates=(
            "Hi {first}, the print spooler on the server was stuck. I restarted it and cleared the queue; "
            "your jobs should print now.",
            "{first}, the printer had picked up a new IP address from DHCP. I set a reservation so it keeps "
            "the same address and updated the port.",
            "Scan to email was failing because the SMTP relay password expired. Updated the printer to use "
            "the Microsoft 365 SMTP relay connector. Test scan received.",
        ),
        internal=(
            "Printer IP changed from .{oct} to .{oct2} after DHCP lease expiry. Created reservation on "
            "{server}, updated Standard TCP/IP port.",
            "Spooler on {server} hung, stuck job 0 bytes. net stop spooler, cleared C:\\Windows\\System32\\"
            "spool\\PRINTERS, net start spooler.",
            "Scan to email used basic SMTP AUTH to smtp.office365.com - disabled tenant-wide in Sept. Moved "
            "to connector-based relay ({domain}-mail-protection-outlook-com) with static IP.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Restarted the Print Spooler and cleared stuck jobs from C:\\Windows\\System32\\spool\\PRINTERS "
            "on {server}. Printing restored for all users.",
            "Printer lost its address after a DHCP change. Added a DHCP reservation and updated the TCP/IP "
            "port on the print server. Printer back online.",
            "Reconfigured scan to email to use the Microsoft 365 SMTP relay connector instead of basic auth. "
            "Test scan delivered.",
        ),
        kb=(
            ("Printer shows offline for all users",
             "A network printer shows Offline on every workstation although it is powered on.",
             "1. Print a configuration page from the printer panel and note its IP address. 2. Ping it from "
             "the print server. 3. If the IP changed, create a DHCP reservation for the printer's MAC or set "
             "a static IP outside the scope. 4. On the print server update Printer properties > Ports > "
             "Standard TCP/IP port to the right address and disable SNMP status if the model misreports. "
             "5. Print a test page from a client."),
            ("Clear a stuck print queue (restart Print Spooler)",
             "Jobs sit in the queue and nothing prints; deleting the jobs does not work.",
             "1. On the print server open an elevated prompt and run: net stop spooler. 2. Delete everything "
             "in C:\\Windows\\System32\\spool\\PRINTERS. 3. Run: net start spooler. 4. Ask users to print "
             "again. 5. If the spooler keeps hanging, update or replace the printer driver (use the "
             "manufacturer's universal PCL6 driver)."),
            ("Scan to email stopped working (Microsoft 365 SMTP)",
             "Multifunction printers fail to send scans by email with 'Send error' or authentication "
             "failure after Microsoft disabled basic SMTP AUTH.",
             "1. Choose a method: SMTP relay via an inbound connector (recommended for MFPs), or direct send "
             "to internal recipients only. 2. For relay: in Exchange admin center create a connector from "
             "'Your organization's email server' restricted to the office static public IP. 3. Point the "
             "printer at <domain>-com.mail.protection.outlook.com port 25, no authentication, with a from "
             "address on the tenant domain. 4. Add the IP to the SPF record. 5. Send a test scan."),
        ),
        slots={"err": ("49.4C02", "E-302", "SC542", "Paper jam in tray 2", "13.B2.D2", "Toner low"),
               "oct": ("1.201", "1.205", "1.220"), "oct2": ("1.34", "1.87", "1.142")},
    ),
    Topic(
        "slow_pc", 1, "Hardware", ("Laptop", "Desktop"), 55, (4, 3, 4),
        WORKSTATIONS, ("Phone", "Email Connector", "Portal"), (0.5, 2.0),
        summaries=(
            "Computer very slow - {host}", "{first}'s laptop freezing", "PC takes 15 min to boot",
            "Slow performance after update on {host}", "Laptop fan loud and running hot",
        ),
        descriptions=(
            "My computer is extremely slow, it takes forever to open anything and sometimes just freezes.",
            "It takes 10-15 minutes for my computer to be usable in the morning.",
            "Ever since the update last week my laptop is really slow and the fan is constantly running.",
        ),
        updates=(
            "Hi {first}, your disk was almost full and a sync client was using a lot of CPU. I cleaned up "
            "temp files and disabled unnecessary startup apps. Please restart tonight.",
            "{first}, your laptop is {age} years old and only has 8 GB of memory. I've done what I can; we'd "
            "recommend replacing it - I'll send a quote to your office manager.",
        ),
        internal=(
            "{host}: 8 GB RAM, 92% committed with Chrome (40 tabs) + Teams. Disk C: 97% used. Ran Disk "
            "Cleanup, cleared 18 GB of Windows Update cache. Startup items trimmed.",
            "Uptime 41 days - pending reboot for updates. SMART OK. Rebooted, installed pending CU.",
            "Dell Command Update showed BIOS 1.12 -> 1.21 and new chipset driver; applied. Defender full scan "
            "clean.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Freed disk space (Disk Cleanup incl. Windows Update cleanup), disabled unneeded startup apps, "
            "applied pending updates and BIOS/driver updates, rebooted. Performance back to normal.",
            "Machine under-spec (8 GB RAM). Optimised startup and recommended replacement; quote sent.",
        ),
        kb=(
            ("Workstation running slow: standard triage checklist",
             "A Windows PC is slow to boot, freezes or has high fan noise.",
             "1. Check uptime (Task Manager > Performance); reboot if over 7 days and install pending "
             "updates. 2. Check free disk space: run Disk Cleanup as admin including Windows Update Cleanup, "
             "and clear %temp%. 3. Task Manager > Startup apps: disable non-essential items. 4. Check memory "
             "pressure; 8 GB is not enough for Teams plus a browser with many tabs. 5. Run OEM update tools "
             "for BIOS/driver updates. 6. Run a Defender full scan. 7. Check SMART/disk health. 8. If the "
             "device is over 4 years old or under 16 GB RAM, recommend replacement."),
        ),
        slots={"age": ("4", "5", "6")},
    ),
    Topic(
        "software_install", 1, "Software", ("Install Request", "Line of Business App"), 55, (4, 4, 5),
        WORKSTATIONS, ("Portal", "Email Connector"), (0.25, 1.0),
        summaries=(
            "Install {sw} on {host}", "Software request: {sw} for {name}", "Need {app} installed on new PC",
            "{app} update to {appver}", "{app} error after update",
        ),
        descriptions=(
            "Can you please install {sw} on my computer? I need it for a project starting Monday.",
            "{app} says there's an update available ({appver}) but it needs admin rights to install.",
            "After the {app} update this morning I get an error when opening it: '{apperr}'.",
        ),
        updates=(
            "Hi {first}, {sw} is installed on {host}. You'll find it in the Start menu.",
            "{first}, I installed the {app} {appver} update on the workstations and the server side. Please "
            "log in and confirm everything looks normal.",
        ),
        internal=(
            "Approved by office manager per software policy. Deployed {sw} via RMM software deployment "
            "(winget id) silently.",
            "{app} {appver} requires the database update on {server} first. Took snapshot backup, ran "
            "server update, then pushed client update.",
            "Error '{apperr}' - client version mismatch with server. Re-ran client installer from "
            "\\\\{server}\\Install share.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Software approved and deployed through RMM; user confirmed it opens and is licensed.",
            "Updated {app} to {appver}: backup/snapshot of {server}, server update, then client updates on "
            "all workstations. Users confirmed login works.",
            "Client/server version mismatch after update. Reinstalled the client from the server's install "
            "share; error resolved.",
        ),
        kb=(
            ("Software install requests: approval and RMM deployment",
             "Users request software; installs need admin rights and must follow the client's software "
             "policy.",
             "1. Check the client's approved software list in the company documentation; if not listed, get "
             "written approval from the primary contact. 2. Prefer deployment through the RMM (winget or "
             "packaged installer) so it is logged and repeatable. 3. For licensed software, confirm a "
             "licence is available and record the key in the documentation system, not in the ticket. "
             "4. Confirm with the user and close."),
            ("Line-of-business application update: server first, then clients",
             "A line-of-business application (practice management, accounting, ERP) needs a version update "
             "or reports a client/server version mismatch.",
             "1. Read the vendor release notes; schedule after hours. 2. Take a backup/snapshot of the "
             "application server and database. 3. Update the server/database component first. 4. Update "
             "clients via RMM or from the server's install share. 5. Have a key user test login and a "
             "common workflow. 6. A 'version mismatch' error after an update means the client was not "
             "updated: rerun the client installer."),
        ),
        slots={"sw": ("Adobe Acrobat Pro", "Zoom Workplace", "Microsoft Visio", "Microsoft Project",
                      "Bluebeam Revu 21", "Notepad++", "7-Zip", "Power BI Desktop", "DocuSign add-in",
                      "Snagit 2025", "Python 3.13", "Google Chrome"),
               "appver": ("v25.1", "2025 R2", "v8.4.2", "2026.1", "v12.3"),
               "apperr": ("Database version mismatch", "Unable to connect to server",
                          "License could not be validated", "Unhandled exception 0xc0000005")},
    ),
    Topic(
        "phishing", 1, "Security", ("Phishing Report", "Suspicious Activity"), 45, (2, 3, 2),
        (M365,), ("Email Connector", "Phone"), (0.25, 1.0),
        summaries=(
            "Suspicious email - possible phishing", "Phishing email reported by {name}",
            "Clicked link in email - {first} worried", "Fake DocuSign email received",
            "Email from 'CEO' asking for gift cards",
        ),
        descriptions=(
            "I got an email that says it's from {sender} asking me to review a document. The link looks "
            "weird. I did not click it. Forwarding it to you.",
            "I think I clicked on a bad link in an email and typed my password. The page then went blank. "
            "What should I do?",
            "Someone pretending to be our owner emailed asking me to buy gift cards for a client. Is this "
            "real?",
        ),
        updates=(
            "Hi {first}, thanks for reporting. That email is a phishing attempt. I've removed it from all "
            "mailboxes and blocked the sender. No action needed from you.",
            "{first}, because you entered your password, I've reset it, signed you out of all sessions and "
            "checked your mailbox for forwarding rules. Nothing suspicious found.",
        ),
        internal=(
            "Header analysis: SPF fail, reply-to {sender_addr}. URL points to credential-harvest page. "
            "Ran Threat Explorer search, soft-deleted 14 copies across tenant, blocked sender + URL in "
            "Tenant Allow/Block List.",
            "User entered creds. Revoked sessions, reset pw, checked sign-ins: one from unfamiliar IP (VPN "
            "provider) 12 min after click, blocked by CA policy (MFA). Checked inbox rules - none.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Confirmed phishing. Purged the message from all mailboxes with Threat Explorer, blocked sender "
            "and URL, thanked user for reporting.",
            "Possible credential compromise: reset password, revoked sessions, re-registered MFA, reviewed "
            "sign-in logs and inbox rules - no malicious activity. User reminded of reporting process.",
        ),
        kb=(
            ("Handling a reported phishing email (Microsoft 365)",
             "A user reports a suspicious email (fake DocuSign, invoice, voicemail, CEO gift-card request).",
             "1. Get the message as an attachment or via the Report button. 2. Check headers: SPF/DKIM/DMARC, "
             "Reply-To and originating IP. 3. In Defender > Threat Explorer search by sender/subject/URL. "
             "4. Select all copies and take action > Soft delete. 5. Add sender and URL to the Tenant "
             "Allow/Block List. 6. Ask whether anyone clicked or entered credentials; if yes follow 'User "
             "entered credentials on a phishing page'. 7. Thank the reporter."),
            ("User entered credentials on a phishing page",
             "A user clicked a link and typed their Microsoft 365 password into a fake login page.",
             "1. Immediately reset the password and Revoke sessions in Entra ID. 2. Review sign-in logs for "
             "the last 7 days for unfamiliar IPs or countries. 3. Check the mailbox for new inbox rules, "
             "forwarding (Get-InboxRule, ForwardingSmtpAddress) and recently sent mail. 4. Re-register MFA "
             "methods if any new method was added. 5. If the attacker signed in, escalate to a security "
             "incident and notify the client contact. 6. Document findings in the ticket."),
        ),
        slots={"sender": ("DocuSign", "Microsoft 365 Admin", "our bank", "FedEx", "Adobe Sign",
                          "Voicemail Service"),
               "sender_addr": ("billing@secure-docs-review.com", "no-reply@m365-alerts.net",
                               "ceo.office@gmail.com", "voicemail@ms-vm-notify.co")},
    ),
    Topic(
        "bitlocker", 1, "Security", ("BitLocker",), 20, (2, 3),
        (LAPTOP,), ("Phone",), (0.25, 0.5),
        summaries=(
            "BitLocker recovery key prompt on {host}", "Laptop asking for recovery key - {name}",
            "BitLocker recovery screen after BIOS update",
        ),
        descriptions=(
            "My laptop is asking for a BitLocker recovery key and I can't get past the blue screen. I'm at "
            "home.",
            "After the update last night my computer shows 'Enter the recovery key for this drive'.",
        ),
        updates=(
            "Hi {first}, I read you the recovery key over the phone and you're back in. I suspended and "
            "resumed BitLocker so it shouldn't ask again.",
        ),
        internal=(
            "Recovery key ID {keyid} found in Entra ID device record for {host}. Trigger: BIOS update via "
            "Dell Command Update without suspending BitLocker. Ran manage-bde -protectors -disable C: "
            "-RebootCount 1 then re-enabled.",
            "Identity verified by callback. Key retrieved from Entra; rotated key afterward (manage-bde "
            "-protectors -add C: -RecoveryPassword and backed up).",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Verified identity, provided BitLocker recovery key from Entra ID, then rotated the recovery "
            "password and confirmed it backed up to Entra. Cause: firmware update without BitLocker suspend.",
        ),
        kb=(
            ("BitLocker recovery key prompt: retrieve key and prevent recurrence",
             "A laptop boots to the BitLocker recovery screen, typically after a BIOS/firmware update, a "
             "docking change or TPM reset.",
             "1. Verify the user's identity by callback. 2. Note the Key ID shown on the recovery screen. "
             "3. In Entra admin center > Devices > the device > BitLocker keys (or AD computer object > "
             "BitLocker Recovery) find the matching key and read it to the user. 4. Once in Windows, rotate "
             "the recovery password: manage-bde -protectors -add C: -RecoveryPassword, then back it up to "
             "Entra. 5. Make sure the RMM suspends BitLocker (manage-bde -protectors -disable C: -RebootCount "
             "1) before BIOS updates."),
        ),
        slots={"keyid": ("3F2A9C1E", "B7D04E55", "91CC2A70", "E05B6D13")},
    ),
    Topic(
        "file_share", 1, "Connectivity", ("Mapped Drives",), 40, (3, 4, 3),
        (SERVER, NAS) + WORKSTATIONS, ("Phone", "Email Connector", "Portal"), (0.25, 1.0),
        summaries=(
            "Access denied to {share} folder", "Mapped drive {drive} missing on {host}",
            "Need access to {share} share for {name}", "Can't open files on {drive} drive",
        ),
        descriptions=(
            "I'm getting 'Access is denied' when I open the {share} folder. I could open it last week.",
            "My {drive} drive disappeared from This PC. I need the files on it for today.",
            "Please give {coworker} access to the {share} folder, they started in that department this week.",
        ),
        updates=(
            "Hi {first}, I added you to the right security group. Please log off and back on so the new "
            "permissions apply.",
            "{first}, your {drive} drive is back. It's mapped by group policy, which hadn't applied because "
            "you were on the VPN when you logged in.",
        ),
        internal=(
            "NTFS on \\\\{server}\\{share}: Modify for GG_{share}_RW. Added user to group per approval from "
            "department head. Kerberos ticket refresh needs logoff (or klist purge).",
            "GPP drive map targeted by security group + item-level targeting on site subnet. User logged "
            "on via VPN before network ready. Ran gpupdate /force and net use.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Added the user to the {share} read/write security group after approval; user logged off/on and "
            "has access.",
            "Mapped drive restored by running gpupdate /force; enabled 'Always wait for the network at "
            "computer startup and logon' to stop it recurring.",
        ),
        kb=(
            ("Grant access to a file share folder (group-based permissions)",
             "A user gets 'Access is denied' on a shared folder or needs access to a department share.",
             "1. Confirm approval from the folder owner or department head. 2. Never add users directly to "
             "NTFS ACLs; find the security group granting access (GG_<Share>_RW / _RO) in the folder's "
             "Security tab. 3. Add the user to the group in ADUC. 4. The user must log off and on (or run "
             "klist purge) to get a new Kerberos ticket. 5. Test access."),
            ("Mapped network drive missing",
             "A drive letter mapped by Group Policy is missing from This PC.",
             "1. Run gpresult /r to see whether the drive-map GPO applied. 2. If the user logged on before "
             "the network or VPN was up, run gpupdate /force and log off/on. 3. Check item-level targeting "
             "(security group, site) on the Group Policy Preferences drive map. 4. Enable 'Always wait for "
             "the network at computer startup and logon'. 5. As a workaround: net use S: \\\\server\\share "
             "/persistent:yes."),
        ),
        slots={"share": ("Accounting", "HR", "Shared", "Projects", "Scans", "Management", "Clients"),
               "drive": ("S:", "P:", "H:", "G:")},
    ),
    Topic(
        "vpn", 1, "Connectivity", ("VPN",), 50, (2, 3, 3),
        (FIREWALL,) + WORKSTATIONS, ("Phone", "Email Connector", "Chat"), (0.5, 1.5),
        summaries=(
            "VPN won't connect - {name}", "{vpn} error: {vpnerr}", "Can't reach server over VPN from home",
            "VPN connects but no access to files", "VPN disconnects every few minutes",
        ),
        descriptions=(
            "I'm working from home and the VPN won't connect. It says '{vpnerr}'. I need to get into {app}.",
            "The VPN says connected but I can't open the S: drive or {app}.",
            "VPN keeps dropping every 5-10 minutes which kicks me out of {app}.",
        ),
        updates=(
            "Hi {first}, your VPN account was locked after several failed attempts. I've unlocked it - "
            "please try again using your normal computer password and approve the MFA prompt.",
            "{first}, your home network uses the same address range as the office (192.168.1.x), which "
            "confuses the VPN. I changed the office VPN settings so it works now.",
            "Updated {vpn} to the current version on {host}. Please reconnect and test.",
        ),
        internal=(
            "{firewall} logs: user auth failed - RADIUS/MFA timeout. NPS extension on {server} 30s timeout "
            "too short; raised VPN client timeout to 60s.",
            "Split tunnel: home LAN 192.168.1.0/24 overlaps client LAN. Added specific routes for server "
            "subnet; DNS suffix {domain} pushed so names resolve.",
            "Client version too old for firmware after last upgrade. Pushed current {vpn} via RMM.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "VPN restored: unlocked the VPN user, increased the MFA authentication timeout, user connected "
            "and reached {server}.",
            "Resolved VPN subnet overlap with the user's home network by adjusting routes and pushing the "
            "internal DNS suffix. Drives and {app} reachable.",
            "Upgraded {vpn} client to the version supported by the {firewall} firmware; tunnel stable.",
        ),
        kb=(
            ("Remote access VPN will not connect: triage",
             "A remote user cannot establish the client VPN, or it disconnects repeatedly.",
             "1. Confirm internet works without VPN and the client version matches what the firewall "
             "firmware supports. 2. Check the firewall's VPN/auth logs for the user: wrong password, locked "
             "account, not in the VPN group, or MFA timeout. 3. For RADIUS/NPS with Entra MFA, set the VPN "
             "client/authentication timeout to 60 seconds. 4. Check the user's home network range; overlap "
             "with the office subnet breaks routing. 5. Reinstall/upgrade the VPN client via RMM. "
             "6. Test access to a file share and the line-of-business app."),
            ("VPN connected but cannot reach servers or drives",
             "The VPN shows connected but file shares and internal apps do not load.",
             "1. Run ipconfig /all and check the VPN adapter gets an address and the internal DNS server. "
             "2. nslookup the server name; if it fails, push the internal DNS suffix and DNS servers in the "
             "VPN profile. 3. Check routes (route print) include the server subnet; with split tunnel add "
             "specific routes. 4. If the home LAN overlaps the office subnet, change routes or re-IP the "
             "home router. 5. Reconnect mapped drives (gpupdate /force)."),
        ),
        slots={"vpnerr": ("The network connection between your computer and the VPN server could not be "
                          "established", "Credential or SSLVPN configuration is wrong (-7200)",
                          "Login failed", "Connection timed out", "Permission denied (-455)")},
    ),
    Topic(
        "license", 1, "Account Management", ("Licensing",), 25, (4, 5),
        (M365,), ("Email Connector", "Portal"), (0.25, 0.5),
        summaries=(
            "Microsoft 365 license for {name}", "Adobe license renewal - {company}",
            "'Unlicensed product' banner in Word", "Need additional {sw} license",
        ),
        descriptions=(
            "Word and Excel say 'Unlicensed Product' at the top and I can't edit documents.",
            "Our Adobe Acrobat licenses expire at the end of the month. Can you renew them? We need 12.",
            "We have a new hire starting Monday and need one more Microsoft 365 license.",
        ),
        updates=(
            "Hi {first}, your Microsoft 365 license had been removed by mistake. I reassigned it - please "
            "close and reopen Word and sign in if asked.",
            "{first}, I've added one Business Premium license through our distributor; it will show on your "
            "next invoice.",
        ),
        internal=(
            "Tenant had 0 available Business Premium seats. Purchased +1 through Pax8, assigned via group "
            "SG-M365-BP. Office activation check: vnextdiag.ps1 -action list.",
            "Renewal quote for {sw} x12 sent to {name} for approval.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Reassigned the Microsoft 365 license, reset Office activation (signed out, cleared identities, "
            "signed back in). 'Unlicensed product' banner gone.",
            "Purchased and assigned additional licenses after client approval; documented renewal date.",
        ),
        kb=(
            ("Office shows 'Unlicensed Product' (Microsoft 365 Apps)",
             "Word, Excel or Outlook show an 'Unlicensed Product' or 'Product Deactivated' banner.",
             "1. Check in the Microsoft 365 admin center that the user has a licence that includes the "
             "desktop apps (Business Standard/Premium, E3/E5). 2. Check whether the licence is group-based "
             "and the user is in the group. 3. On the PC, File > Account > Sign out, close apps, then sign "
             "in again. 4. If still unlicensed, run the Microsoft Support and Recovery Assistant (SaRA) "
             "'Reset Office activation' scenario. 5. Confirm File > Account shows 'Subscription Product'."),
            ("Adding or renewing subscription licences",
             "The client needs more seats or an annual software subscription is expiring.",
             "1. Check current seat count and renewal date in the distributor portal and company "
             "documentation. 2. Send a quote to the primary contact and wait for written approval. "
             "3. Purchase through the distributor so it is billed on the client's agreement. 4. Assign the "
             "licence (prefer group-based licensing). 5. Update the renewal date in documentation."),
        ),
        slots={"sw": ("Adobe Acrobat Pro", "Microsoft 365 Business Premium", "Visio Plan 2",
                      "Bluebeam Revu", "Zoom Workplace Pro")},
    ),
    Topic(
        "wifi", 2, "Network", ("Wireless",), 30, (3, 3, 2),
        (AP,), ("Phone", "Email Connector"), (0.5, 1.5),
        summaries=(
            "Wi-Fi dropping in {room}", "Can't connect to {ssid}", "Guest Wi-Fi down at {site}",
            "Slow wireless in the office", "Wi-Fi password for guests",
        ),
        descriptions=(
            "The Wi-Fi keeps dropping in the {room}. It's been happening all week, especially in the "
            "afternoon.",
            "My laptop won't connect to {ssid}, it says 'Can't connect to this network'. My phone connects "
            "fine.",
            "The guest Wi-Fi isn't working, our visitors can't get online.",
        ),
        updates=(
            "Hi {first}, one of the access points had rebooted into a bad state. I power-cycled it from the "
            "dashboard and changed the channel to avoid interference. Let me know if it happens again.",
            "{first}, your laptop had an old saved profile for {ssid}. I removed it and reconnected.",
        ),
        internal=(
            "AP in {room}: channel utilization 78% on 2.4 GHz, heavy co-channel interference from neighbour. "
            "Disabled 2.4 GHz on SSID {ssid} for corp devices, moved to 5 GHz ch 149, 40 MHz.",
            "Guest SSID splash page broken after firmware update; re-applied the splash config and "
            "rebooted APs after hours.",
            "Intel AX211 driver 22.160 known to drop; updated to 23.x via OEM tool.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Reduced interference by moving the AP to a clean 5 GHz channel and disabling 2.4 GHz for the "
            "corporate SSID; updated wireless NIC driver. No drops since.",
            "Removed the stale Wi-Fi profile (netsh wlan delete profile) and reconnected; confirmed "
            "connectivity.",
        ),
        kb=(
            ("Wi-Fi drops or is slow in one area of the office",
             "Users in one room lose wireless or get poor throughput, often at busy times.",
             "1. In the wireless controller/dashboard check the nearest AP's clients, channel utilization "
             "and interference. 2. Move to a less busy 5 GHz channel, use 20/40 MHz width in dense areas, "
             "and disable 2.4 GHz for corporate SSIDs where possible. 3. Check AP uptime and PoE power on "
             "the switch port. 4. Update the client's wireless driver (Intel AX2xx) from the OEM tool. "
             "5. If coverage is the problem, recommend an additional AP after a site survey."),
            ("Laptop cannot connect to the office Wi-Fi",
             "One device fails to join the corporate SSID while others connect.",
             "1. Forget the network: netsh wlan delete profile name=\"SSID\". 2. Reconnect; for WPA2/3 "
             "Enterprise confirm the device certificate or user credentials. 3. Update the wireless driver. "
             "4. Check the controller event log for the client MAC (auth failures, deauth). 5. Reset network "
             "settings (Settings > Network > Network reset) as a last resort."),
        ),
        slots={"room": ("conference room", "back office", "upstairs", "break room", "warehouse", "exam rooms"),
               "ssid": ("Corp-WiFi", "Staff", "Office-5G", "CORP-SECURE")},
    ),
    Topic(
        "firewall", 2, "Firewall", ("Rule Change", "Firmware", "VPN Tunnel"), 30, (3, 4, 2, 5),
        (FIREWALL,), ("Email Connector", "Portal", "Phone"), (0.5, 2.5),
        summaries=(
            "Firewall firmware update - {firewall}", "Port forward request for {svcname}",
            "Site-to-site VPN down between offices", "Allow {vendor} remote access through firewall",
            "Block website category request",
        ),
        descriptions=(
            "Our {vendor} technician needs remote access to the {svcname} system. They gave us their IP "
            "addresses. Can you open it up?",
            "The second office can't reach the server since this morning. Phones there still work.",
            "Monthly maintenance: {firewall} has a firmware update available ({fw}).",
        ),
        updates=(
            "Hi {first}, I created a rule that only allows the vendor's two IP addresses to reach {svcname}. "
            "It's logged and we'll review it in 30 days.",
            "{first}, the tunnel between the offices is back up. The ISP had changed the public IP at the "
            "other office; I updated the VPN configuration.",
            "Firmware upgraded to {fw} during the maintenance window. All services tested.",
        ),
        internal=(
            "Config backup taken before change. Rule: WAN -> {server} tcp/{port} from vendor IPs only, "
            "logging on. Do not use 'any' source.",
            "IPsec phase 1 failing: peer IP changed (ISP DHCP). Updated remote gateway, phase 1/2 up. "
            "Asked client to order static IP at branch.",
            "Upgrade path checked against vendor matrix, {fw} is a supported hop. Backed up config, "
            "scheduled reboot 10pm.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Created a restricted inbound rule (vendor source IPs only, logging enabled) after backing up "
            "the firewall config. Vendor confirmed access.",
            "Site-to-site VPN restored by updating the peer gateway IP after the ISP change.",
            "Firmware upgraded to {fw} following the supported upgrade path with config backup; VPNs and "
            "rules verified.",
        ),
        kb=(
            ("Firewall change procedure (rules, port forwards, vendor access)",
             "A client asks to open a port or allow a vendor remote access through the firewall.",
             "1. Get the request in writing from an authorised contact with source IPs, destination and "
             "port. 2. Back up the firewall configuration. 3. Create the narrowest rule: specific source "
             "IPs, specific destination host and port, logging on; never 'any' source for RDP/SMB. "
             "4. Name the rule with the ticket number and an expiry date. 5. Test with the vendor. "
             "6. Record the change in documentation and set a review date."),
            ("Site-to-site IPsec VPN tunnel down",
             "Branch office cannot reach head-office servers; the IPsec tunnel is down.",
             "1. Check both sites have internet. 2. Look at the IPsec logs: phase 1 failures usually mean a "
             "changed peer IP or mismatched proposal/PSK; phase 2 failures mean mismatched subnets. 3. If "
             "the branch ISP changed its public IP, update the remote gateway (or use DDNS) and recommend a "
             "static IP. 4. Bring the tunnel up and test ping and SMB to the server."),
            ("Firewall firmware upgrade",
             "Scheduled maintenance to upgrade firewall firmware for security fixes.",
             "1. Check the vendor's upgrade path tool for supported hops. 2. Read release notes for known "
             "issues with VPN clients. 3. Download a configuration backup and store it in documentation. "
             "4. Schedule a maintenance window and notify the client. 5. Upgrade, reboot, verify WAN, "
             "site-to-site and client VPN, and key port forwards. 6. Update the configuration record."),
        ),
        slots={"svcname": ("phone system", "door access controller", "NVR cameras", "HVAC controller",
                           "x-ray imaging server"),
               "vendor": ("phone vendor", "camera installer", "software vendor", "HVAC contractor"),
               "port": ("443", "8443", "3389", "5060", "8080"),
               "fw": ("FortiOS 7.4.8", "SonicOS 7.1.3", "MX 19.1.4", "Fireware 12.11.2", "PAN-OS 11.1.6")},
    ),
    Topic(
        "dns", 2, "Network", ("DNS",), 20, (3, 2),
        (SERVER, FIREWALL), ("Email Connector", "Phone"), (0.5, 1.5),
        summaries=(
            "Website not loading for {domain}", "DNS record change for {record}", "Internal names not "
            "resolving", "Email to {domain} bouncing - SPF/DMARC",
        ),
        descriptions=(
            "Our website isn't loading for customers, they're saying 'server not found'.",
            "Our web developer needs a CNAME record for {record}.{domain}. Details attached.",
            "Emails we send are going to people's spam, and one client said ours bounced.",
        ),
        updates=(
            "Hi {first}, the record is added. DNS changes can take up to an hour to be visible everywhere.",
            "{first}, your SPF record was missing the email platform you started using. I updated it and "
            "added DMARC reporting so we can see failures.",
        ),
        internal=(
            "Registrar shows nameservers correct. Zone missing A record for www after web host migration. "
            "Re-added, TTL 3600.",
            "SPF had 11 DNS lookups (permerror). Flattened includes, now 8 lookups. DKIM enabled for "
            "{domain} in Defender portal, DMARC p=none with rua reporting.",
            "Internal DNS on {server}: forwarders pointing to old ISP resolvers. Updated to 1.1.1.1 / 9.9.9.9, "
            "cleared cache.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Added/corrected the DNS record at the DNS host and confirmed resolution with nslookup against "
            "public resolvers.",
            "Fixed SPF (under 10 lookups), enabled DKIM and added a DMARC record with reporting; test "
            "messages pass.",
            "Updated DNS forwarders on the domain controller and cleared the DNS cache; internal and "
            "external names resolve.",
        ),
        kb=(
            ("Making DNS record changes for a client domain",
             "A client or their vendor asks for a new or changed DNS record (A, CNAME, MX, TXT).",
             "1. Confirm the request comes from an authorised contact. 2. Find where DNS is hosted (whois / "
             "nslookup -type=ns) and the credentials in documentation. 3. Export the zone before the change. "
             "4. Add the record with a sensible TTL (3600). 5. Verify with nslookup against 1.1.1.1 and "
             "8.8.8.8. 6. Note the change in documentation."),
            ("Email landing in spam or bouncing: SPF, DKIM, DMARC",
             "Outbound email from the client's domain goes to spam or is rejected.",
             "1. Check the bounce for the reason. 2. Validate SPF: one TXT record, all senders included, "
             "under 10 DNS lookups. 3. Enable DKIM for the domain in Microsoft Defender (two CNAME records). "
             "4. Publish DMARC starting at p=none with an rua address, then move to quarantine. 5. Send a "
             "test to an external mailbox and check headers for spf=pass dkim=pass dmarc=pass."),
        ),
        slots={"record": ("shop", "portal", "booking", "mail", "autodiscover", "survey")},
    ),
    Topic(
        "certificate", 2, "Certificates", ("SSL Renewal", "Expired Certificate"), 15, (2, 3, 5),
        (SERVER, FIREWALL), ("Email Connector", "Monitoring"), (0.5, 1.5),
        summaries=(
            "SSL certificate expiring for {certhost}", "Certificate expired - browser warning on {certhost}",
            "Renew wildcard certificate *.{domain}",
        ),
        descriptions=(
            "Staff are getting 'Your connection is not private' when they go to {certhost}.",
            "Reminder: the certificate for {certhost} expires in 14 days.",
        ),
        updates=(
            "Hi {first}, the certificate has been renewed and installed. The browser warning is gone.",
        ),
        internal=(
            "CSR generated on {server} (2048-bit RSA), validated via DNS TXT, installed cert + intermediate, "
            "bound in IIS to 443. Also updated on {firewall} SSL VPN.",
            "Cert expired {days} days ago, renewal reminder went to a former employee's mailbox. Changed "
            "registrar contact to the MSP alerts mailbox.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Renewed the SSL certificate (new CSR, DNS validation), installed it with the intermediate "
            "chain on the server and the firewall VPN portal, and verified with an SSL checker.",
        ),
        kb=(
            ("Renew and install an SSL/TLS certificate",
             "A public certificate is about to expire or has expired, causing browser warnings on a portal, "
             "RD Gateway or SSL VPN.",
             "1. Check where the certificate is used (IIS, RD Gateway, firewall SSL VPN, printers). 2. Create "
             "a CSR on the server (or renew with the CA's tool). 3. Complete domain validation (DNS TXT is "
             "fastest). 4. Install the certificate with the intermediate chain; bind it in IIS / RD Gateway "
             "and import it on the firewall. 5. Verify with an online SSL checker. 6. Add the expiry to "
             "monitoring so the alert reaches the MSP, not a former employee."),
        ),
        slots={"certhost": ("portal.{domain}", "remote.{domain}", "vpn.{domain}", "mail.{domain}"),
               "days": ("2", "3", "6")},
    ),
    Topic(
        "internet_outage", 2, "Network", ("Internet Outage",), 20, (1, 1, 2),
        (FIREWALL, SWITCH), ("Phone", "Monitoring"), (0.5, 2.0),
        summaries=(
            "Internet down at {site}", "Whole office offline - {company}", "ISP outage - failover to LTE",
            "Intermittent internet drops",
        ),
        descriptions=(
            "The internet is down for the whole office. Nobody can get email or {app}.",
            "Internet keeps cutting out for a minute at a time, several times an hour.",
        ),
        updates=(
            "Hi {first}, your internet provider has an outage in your area. We've opened a ticket with them "
            "({isp} ref {isp_ref}). The firewall has failed over to the backup connection.",
            "{first}, service is restored. The provider replaced a faulty modem. We'll keep monitoring.",
        ),
        internal=(
            "{firewall} shows WAN1 down, WAN2 (LTE) active. Modem lights: DS blinking. Called {isp}, "
            "outage confirmed, ETR 4h.",
            "SLA monitor shows 3-6% packet loss to gateway. Provider found noise on the line; tech dispatched.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "ISP outage confirmed and repaired by the provider; firewall failed back from LTE to primary WAN. "
            "Verified connectivity and VPN tunnels.",
            "Provider replaced the modem / fixed line noise; packet loss cleared on the SLA monitor.",
        ),
        kb=(
            ("Office internet outage: triage and ISP escalation",
             "The whole office has no internet or frequent drops.",
             "1. Check the firewall dashboard: which WAN is down, is failover active. 2. Ask someone on site "
             "to check the modem lights and power-cycle the modem only (not the firewall). 3. Check the ISP "
             "status page and call the ISP with the account number from documentation; record the "
             "reference. 4. For intermittent drops, run a ping/SLA monitor to the gateway and share the loss "
             "graph with the ISP. 5. After repair confirm failback to the primary WAN and VPN tunnels up."),
        ),
        slots={"isp": ("Comcast Business", "Spectrum Business", "AT&T Fiber", "Lumen", "Cox Business"),
               "isp_ref": ("CB-4471902", "SB-2218833", "ATT-99120347", "LMN-582201")},
    ),
    Topic(
        "switch", 2, "Network", ("Switching / VLAN",), 12, (3, 4),
        (SWITCH,), ("Email Connector", "Phone"), (0.5, 1.5),
        summaries=(
            "Network jack not working at desk {desk}", "Phones not getting power on switch",
            "VLAN change for {device}",
        ),
        descriptions=(
            "The network port at desk {desk} doesn't work, my computer says no internet when plugged in.",
            "Several desk phones turned off at once and won't come back on.",
        ),
        updates=(
            "Hi {first}, the port at desk {desk} wasn't patched to the switch. I've had it patched and "
            "assigned to the right VLAN - it's working now.",
        ),
        internal=(
            "PoE budget exceeded on {sw}: 370W of 370W used after new APs. Moved 4 APs to second switch.",
            "Port {port} was in VLAN 1 (default). Set access VLAN 10 data / voice VLAN 20.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Patched the wall jack and configured the switch port (data VLAN 10, voice VLAN 20). Device online.",
            "PoE budget exceeded; redistributed powered devices across switches. Phones back up.",
        ),
        kb=(
            ("Desk network port not working",
             "A wall jack gives no link or the device gets the wrong network.",
             "1. Check link lights on the device and switch. 2. Trace the jack number to the patch panel "
             "and confirm it is patched. 3. Check the switch port status, VLAN (data and voice) and port "
             "security. 4. Check PoE budget if phones or APs lose power. 5. Label and document the port."),
        ),
        slots={"desk": ("14", "22B", "7", "31", "3A"), "device": ("door controller", "new printer", "camera NVR"),
               "sw": ("core switch", "IDF switch"), "port": ("Gi1/0/14", "port 22", "1/1/31")},
    ),
    Topic(
        "disk_space", 3, "Monitoring Alert", ("Disk Space",), 60, (2, 3, 3),
        (SERVER,), ("Monitoring",), (0.25, 1.0),
        summaries=(
            "Low disk space on {server} - {drive} {pct}% used", "ALERT: {server} {drive} below 10% free",
            "Disk space critical: {server}",
        ),
        descriptions=(
            "RMM ALERT: Disk space threshold exceeded. Device: {server}. Volume {drive} {pct}% used "
            "({free} GB free). Threshold: 90%. Severity: {sev}.",
        ),
        updates=(
            "Cleared space on {server} {drive}: removed old IIS logs and Windows Update cache. Now "
            "{after}% used.",
            "Extended {drive} on {server} by 100 GB after expanding the virtual disk.",
        ),
        internal=(
            "TreeSize: {drive} largest folders - C:\\Windows\\SoftwareDistribution 14 GB, C:\\inetpub\\logs "
            "22 GB, user profile temp 9 GB. Cleaned, set IIS log retention 30 days.",
            "WinSxS cleanup: Dism /Online /Cleanup-Image /StartComponentCleanup freed 6 GB.",
            "Growth is steady from {app} database; recommend disk expansion. Quote needed.",
        ),
        replies=(),
        resolutions=(
            "Freed space on {server} (Windows Update cache, IIS logs, component store cleanup); volume now "
            "below threshold. Added log retention to stop recurrence.",
            "Expanded the volume after verifying datastore capacity; alert cleared.",
        ),
        kb=(
            ("Server low disk space alert: safe cleanup steps",
             "RMM alerts that a server volume is above 90% used.",
             "1. Run TreeSize/WizTree to find the largest folders. 2. Safe to clean: C:\\Windows\\"
             "SoftwareDistribution\\Download (stop wuauserv first), IIS logs in C:\\inetpub\\logs older than "
             "30 days, %temp% of service accounts, old user profiles. 3. Run Dism /Online /Cleanup-Image "
             "/StartComponentCleanup. 4. Never delete from WinSxS or System32 by hand. 5. If growth is "
             "legitimate (database, file shares), extend the disk and notify the client. 6. Set log "
             "retention to prevent recurrence."),
        ),
        slots={"drive": ("C:", "D:", "E:"), "pct": ("91", "93", "95", "97", "98"), "free": ("4.2", "9.8", "12.1",
               "2.7"), "sev": ("Warning", "Critical"), "after": ("62", "71", "78")},
        alert=True,
    ),
    Topic(
        "backup_failed", 3, "Backup Alert", ("Backup Failed", "Backup Warning"), 55, (2, 2, 3),
        (BDR, SERVER), ("Monitoring",), (0.5, 2.0),
        summaries=(
            "Backup failed: {server} - {backup}", "{backup} job failed - {bkerr}",
            "Backup warning: {server} screenshot verification failed", "Offsite sync behind for {company}",
        ),
        descriptions=(
            "Backup alert from {backup}: Job for {server} failed at {time}. Error: {bkerr}. Last successful "
            "backup: {last}.",
        ),
        updates=(
            "Re-ran the backup for {server} manually; it completed successfully. Monitoring tonight's job.",
            "The backup failed because of a VSS writer error on {server}. Restarted the affected service and "
            "the next backup succeeded.",
        ),
        internal=(
            "vssadmin list writers: SqlServerWriter state [8] Failed, last error: Non-retryable error. "
            "Restarted SQL Writer service, writers stable.",
            "Appliance storage 94% - retention trimming not keeping up. Adjusted retention to 90 days "
            "intra-daily / 1 year monthly.",
            "Screenshot verification failed: server booted to 'Preparing automatic repair' in the VM. Agent "
            "timing issue; increased verification wait to 600s.",
        ),
        replies=(),
        resolutions=(
            "Fixed the failed VSS writer (restarted the writer's service), ran a manual backup which "
            "succeeded, confirmed next scheduled job succeeded.",
            "Freed appliance storage by adjusting retention; backups and offsite sync caught up.",
            "Adjusted screenshot verification timeout; verification passed.",
        ),
        kb=(
            ("Backup failed with VSS error",
             "Image backup of a Windows server fails with a VSS / snapshot error.",
             "1. On the server run vssadmin list writers and look for writers in a Failed state. 2. Restart "
             "the service behind the failed writer (SQL Writer -> SQL Server VSS Writer service, Exchange "
             "Writer -> Information Store, WMI Writer -> Winmgmt). 3. Check free space on every volume "
             "(VSS needs ~10%). 4. Run vssadmin list shadowstorage and remove orphaned shadows. 5. Start a "
             "manual backup and confirm the next scheduled one."),
            ("Backup appliance storage full or offsite sync behind",
             "The local backup appliance is nearly full, or offsite replication is days behind.",
             "1. Check appliance storage usage and the retention policy. 2. Remove archived/decommissioned "
             "agents. 3. Adjust local retention to the agreed policy. 4. For offsite lag, check the "
             "bandwidth throttle schedule and that the office internet is not saturated. 5. Confirm the "
             "next backups succeed and note the change."),
            ("Backup screenshot/boot verification failed",
             "The backup succeeded but the automated boot verification (screenshot) failed.",
             "1. Open the verification screenshot: a login screen means the timeout was too short, a "
             "repair or blue screen means a real problem. 2. Increase the verification wait time. "
             "3. Run a manual virtualisation/test boot of the latest snapshot. 4. If it does not boot, "
             "check the server's disk and drivers and escalate."),
        ),
        slots={"bkerr": ("VSS snapshot failed (0x800423F4)", "Agent not responding", "Destination storage full",
                         "Screenshot verification failed", "Network path not found"),
               "time": ("01:00", "02:30", "23:00", "03:15"),
               "last": ("yesterday 01:00", "2 days ago", "3 days ago")},
        alert=True,
    ),
    Topic(
        "server_reboot", 3, "Monitoring Alert", ("Reboot Required", "Offline Device"), 45, (2, 3, 1),
        (SERVER,), ("Monitoring",), (0.5, 2.0),
        summaries=(
            "{server} offline - no heartbeat", "Unexpected shutdown on {server}",
            "{server} pending reboot for {days} days", "Server patching: reboot {server}",
        ),
        descriptions=(
            "RMM ALERT: Agent on {server} has not checked in for 15 minutes. Last seen {time}.",
            "RMM ALERT: Event 6008 on {server}: The previous system shutdown was unexpected.",
            "RMM ALERT: {server} has required a reboot for {days} days (pending updates: {kb}).",
        ),
        updates=(
            "Rebooted {server} during the maintenance window after confirming no users were logged in. "
            "Updates applied, services up.",
            "{server} lost power when the UPS battery failed its self-test. Power restored, server booted "
            "cleanly. Replacement battery ordered.",
        ),
        internal=(
            "Checked iDRAC/iLO: power supply 2 failed, redundancy lost. Server up on PSU1. Dell case "
            "opened for replacement.",
            "Pending reboot since {kb} install. Rebooted 22:00, verified DC replication (repadmin "
            "/replsummary) and shares.",
            "UPS self-test failed, runtime 2 min. Battery age 4 years. Quote for RBC replacement.",
        ),
        replies=(),
        resolutions=(
            "Scheduled reboot completed after hours; updates installed, services and shares verified.",
            "Unexpected shutdown traced to failed UPS battery/PSU; hardware replaced under warranty, server "
            "stable.",
        ),
        kb=(
            ("Server offline or unexpected shutdown alert",
             "The RMM reports a server agent offline or Event 6008 (unexpected shutdown).",
             "1. Ping the server and check the hypervisor or out-of-band console (iDRAC/iLO). 2. Check the "
             "hardware log for PSU, fan or memory faults. 3. Check the UPS log for power events and battery "
             "self-test results. 4. If the server is hung, gracefully restart via the console and notify the "
             "client. 5. After boot verify services, shares and DC replication (repadmin /replsummary). "
             "6. Open a warranty case for failed hardware."),
            ("Server pending reboot after patching",
             "A server has installed updates but not restarted for several days.",
             "1. Check with the client for a suitable time; use the standard maintenance window. 2. Confirm "
             "a recent successful backup. 3. Restart and monitor until the agent checks in. 4. Verify key "
             "services, shares and line-of-business apps. 5. Note the update KBs installed in the ticket."),
        ),
        slots={"days": ("5", "9", "14", "21"), "time": ("02:14", "11:47", "18:03"),
               "kb": ("KB5066835", "KB5065426", "KB5063878", "KB5062553")},
        alert=True,
    ),
    Topic(
        "service_down", 3, "Monitoring Alert", ("Service Down",), 25, (2, 1, 3),
        (SERVER,), ("Monitoring",), (0.25, 1.0),
        summaries=(
            "Service stopped: {svc} on {server}", "High CPU on {server} ({cpu}%)", "{app} service not running",
        ),
        descriptions=(
            "RMM ALERT: Windows service '{svc}' on {server} is Stopped (expected Running). Auto-restart "
            "attempted: failed.",
            "RMM ALERT: CPU on {server} above {cpu}% for 30 minutes. Top process: {proc}.",
        ),
        updates=(
            "Started the {svc} service on {server}; it's running and the alert cleared.",
            "High CPU caused by {proc}; restarted it after hours and CPU is back to normal.",
        ),
        internal=(
            "{svc} stopping after service account password change. Updated the service's logon credentials.",
            "Service crash: Application log Event 7031. Set recovery options to restart on failure.",
        ),
        replies=(),
        resolutions=(
            "Restarted the stopped service, fixed its logon account and set recovery actions to restart on "
            "failure. Alert cleared.",
            "Identified the high-CPU process, restarted it and scheduled follow-up with the vendor.",
        ),
        kb=(
            ("Windows service stopped alert",
             "RMM reports a monitored service is stopped and auto-restart failed.",
             "1. Check the System log for Event 7031/7034 (crash) or 7000/7038 (logon failure). 2. For "
             "logon failures update the service account password in services.msc > Log On. 3. Start the "
             "service and confirm the application works. 4. Set Recovery: restart the service on first and "
             "second failure. 5. If it keeps crashing, collect logs and open a vendor case."),
        ),
        slots={"svc": ("SQL Server (MSSQLSERVER)", "Print Spooler", "DHCP Server", "Veeam Backup Service",
                       "World Wide Web Publishing Service"),
               "cpu": ("92", "97", "99"), "proc": ("sqlservr.exe", "MsMpEng.exe", "w3wp.exe", "TiWorker.exe")},
        alert=True,
    ),
    Topic(
        "av_threat", 3, "Security Alert", ("Threat Detected", "Suspicious Sign-in"), 25, (1, 2, 2),
        WORKSTATIONS + (M365,), ("Monitoring",), (0.5, 2.0),
        summaries=(
            "Threat detected on {host}: {threat}", "EDR alert: suspicious PowerShell on {host}",
            "Impossible travel sign-in for {name}", "Defender quarantined file on {host}",
        ),
        descriptions=(
            "SECURITY ALERT: {edr} detected {threat} on {host} (user {login}). Action taken: Quarantined.",
            "SECURITY ALERT: Risky sign-in for {email} from {country}. Risk level: high.",
        ),
        updates=(
            "Hi {first}, our security tools blocked a malicious file on your computer. We've scanned the "
            "machine and it is clean. No action needed.",
            "{first}, we saw a sign-in attempt to your account from {country}. It was blocked, but we've "
            "reset your password as a precaution.",
        ),
        internal=(
            "File came from a zip attachment in Downloads. Hash matched known Qakbot loader. Quarantined by "
            "{edr}; isolated device, full scan clean, released isolation.",
            "Sign-in from {country} failed MFA, password was correct -> credential leak likely. Reset pw, "
            "revoked sessions, added named location block.",
        ),
        replies=(),
        resolutions=(
            "Threat quarantined automatically; device isolated, full scan clean, source email purged, "
            "isolation released.",
            "Risky sign-in: password reset, sessions revoked, MFA methods reviewed; no successful "
            "malicious access.",
        ),
        kb=(
            ("EDR / antivirus threat detected on a workstation",
             "The EDR or Defender reports a detection on a managed workstation.",
             "1. Check the action taken (quarantined/blocked vs. detected only). 2. Isolate the device from "
             "the EDR console if the threat executed. 3. Identify the source (email attachment, download, "
             "USB) and purge related emails. 4. Run a full scan. 5. Reset the user's password if a "
             "credential stealer is involved. 6. Release isolation when clean and document."),
            ("Risky or impossible-travel sign-in alert",
             "Entra ID Protection flags a risky sign-in for a user.",
             "1. Check the sign-in: success or failure, and whether MFA was satisfied. 2. Contact the user to "
             "confirm if it was them (travel, VPN). 3. If not, reset the password, revoke sessions and "
             "review MFA methods and inbox rules. 4. Consider Conditional Access location policies. "
             "5. Dismiss or confirm the risk in Entra ID Protection."),
        ),
        slots={"threat": ("Trojan:Win32/Qakbot", "Behavior:Win32/SuspPowerShell", "PUA:Win32/Presenoker",
                          "Trojan:JS/Gootloader"),
               "edr": ("Microsoft Defender for Business", "SentinelOne", "Huntress", "CrowdStrike Falcon"),
               "country": ("Nigeria", "Russia", "Brazil", "Vietnam", "the Netherlands")},
        alert=True,
    ),
    Topic(
        "new_user", 4, "User Lifecycle", ("New Hire",), 40, (4, 5, 3),
        (M365,) + WORKSTATIONS, ("Portal", "Email Connector"), (1.0, 3.0),
        summaries=(
            "New hire: {newuser} starting {start}", "Onboarding - {newuser} ({dept})",
            "New user setup for {newuser}", "New employee account + laptop - {newuser}",
        ),
        descriptions=(
            "We have a new employee starting {start}: {newuser}, {dept} department. Please set up email, a "
            "laptop and access to the {dept} folder and {app}. Same access as {coworker}.",
            "Please create an account for {newuser}. Start date {start}. They'll need {app} and the shared "
            "drive.",
        ),
        updates=(
            "Hi {first}, {newuser}'s account is ready. Temporary password will be given on their first "
            "morning; they'll set up MFA then. The laptop is imaged and labelled.",
            "{first}, everything is set up for {newuser}. We'll be on site at 9am on their start date to get "
            "them logged in.",
        ),
        internal=(
            "Created AD user from template (copied {coworker}'s groups per request), M365 Business Premium via "
            "group, mailbox, added to {dept} groups, {app} user created in app admin.",
            "Laptop from stock enrolled in Intune / Autopilot, assigned to user, BitLocker key escrowed, RMM "
            "agent installed.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "New user onboarding completed per checklist: AD/Entra account, licence, mailbox, groups, {app} "
            "access, laptop deployed with MFA registration on first day.",
        ),
        kb=(
            ("New employee onboarding checklist",
             "A client requests accounts and equipment for a new hire.",
             "1. Get the request from an authorised contact with name, title, department, start date, "
             "manager and a 'same access as' user. 2. Create the AD account from the department template or "
             "copy group memberships. 3. Assign the Microsoft 365 licence via group; confirm the mailbox "
             "exists. 4. Add to file share and distribution groups; create the line-of-business application "
             "user. 5. Prepare the laptop: Autopilot/Intune enrollment, RMM agent, BitLocker escrow. "
             "6. On day one: hand over a temporary password in person and register MFA with the user."),
        ),
        slots={"newuser": ("Alex Rivera", "Jordan Blake", "Taylor Chen", "Morgan Ellis", "Casey Nguyen",
                           "Riley Patel", "Jamie Fox", "Avery Long", "Quinn Harper", "Drew Bennett"),
               "start": ("Monday", "next Monday", "the 1st", "the 15th"),
               "dept": ("Accounting", "Operations", "Front Desk", "Sales", "Billing", "Clinical")},
    ),
    Topic(
        "offboarding", 4, "User Lifecycle", ("Termination",), 25, (2, 3, 4),
        (M365,) + WORKSTATIONS, ("Phone", "Email Connector", "Portal"), (0.5, 2.0),
        summaries=(
            "Offboard {olduser} - last day {start}", "Terminate access for {olduser} - URGENT",
            "Employee departure: {olduser}",
        ),
        descriptions=(
            "{olduser} is leaving us, last day {start}. Please disable their access at 5pm and forward their "
            "email to me.",
            "We had to let {olduser} go this morning. Please disable all access immediately.",
        ),
        updates=(
            "Hi {first}, {olduser}'s accounts are disabled and their email now forwards to you. Their laptop "
            "can be dropped off or we can pick it up.",
        ),
        internal=(
            "Disabled AD + Entra, revoked sessions, reset pw, removed MFA methods, converted mailbox to "
            "shared, granted manager access, removed licence after conversion, wiped phone via Intune.",
            "Removed from {app} and VPN group. OneDrive access delegated to manager for 30 days.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "Offboarding complete: account disabled, sessions revoked, mailbox converted to shared with "
            "manager access, licence removed, device collected and wiped, {app} access removed.",
        ),
        kb=(
            ("Employee offboarding / termination checklist",
             "A client reports an employee is leaving or has been terminated.",
             "1. Confirm the request with an authorised contact and the exact time to cut access. 2. Disable "
             "the AD/Entra account, reset the password and Revoke sessions. 3. Remove MFA methods and wipe or "
             "retire mobile devices in Intune. 4. Convert the mailbox to shared and grant the manager access "
             "(or set forwarding); then remove the licence. 5. Delegate OneDrive access to the manager. "
             "6. Remove VPN and line-of-business app access. 7. Collect the laptop and reimage."),
        ),
        slots={"olduser": ("Brian Walsh", "Heather Kim", "Steve Lopez", "Megan Ford", "Tom Reed",
                           "Nicole Gray"),
               "start": ("Friday", "today", "the 30th", "end of the week")},
    ),
    Topic(
        "new_equipment", 4, "Equipment", ("New Workstation", "Replacement"), 25, (4, 5),
        WORKSTATIONS, ("Portal", "Email Connector"), (1.0, 3.0),
        summaries=(
            "Replace laptop for {name}", "New workstation setup - {host} replacement",
            "Laptop refresh: {first}",
        ),
        descriptions=(
            "My laptop is on its last legs, the battery lasts 30 minutes. {coworker} approved a replacement.",
            "Please set up the new computer we ordered for {name}.",
        ),
        updates=(
            "Hi {first}, your new laptop is ready. We moved your files from OneDrive and your desktop "
            "shortcuts. Bring the old one back so we can wipe it.",
        ),
        internal=(
            "Autopilot pre-provisioned, user-driven. Apps via Intune. Old {host} data in OneDrive (KFM). "
            "Old device wiped and retired in RMM/PSA.",
        ),
        replies=_GENERIC_REPLIES,
        resolutions=(
            "New workstation deployed via Autopilot/Intune, apps and printers installed, user data restored "
            "via OneDrive known folder move, old device wiped and configuration retired.",
        ),
        kb=(
            ("Workstation replacement (Autopilot / Intune)",
             "A user's computer is replaced with a new device.",
             "1. Confirm the new device's hardware hash is registered in Autopilot with the client's "
             "profile. 2. Confirm OneDrive known folder move is healthy on the old device. 3. Have the user "
             "sign in on the new device (or pre-provision); Intune installs apps and policies. 4. Install "
             "printers and the line-of-business app, check mapped drives. 5. Wipe the old device and set its "
             "configuration record to inactive."),
        ),
    ),
)

TOPIC_BY_KEY: dict[str, Topic] = {t.key: t for t in TOPICS}

# Client-specific KB articles: each client gets a few of these, filled with its own stack (firewall,
# VPN, backup product, printer model, line-of-business app). Keyed by topic for realism of the link.
CLIENT_KB: tuple[tuple[str, str, str, str], ...] = (
    ("vpn", "{company}: connecting to the office with {vpn}",
     "{company} staff work remotely and connect through {vpn} to the {firewall} at the main office to reach "
     "{server} and {app}.",
     "1. Install {vpn} from the RMM software library (never from a download link sent by email). 2. Server "
     "address: vpn.{domain}, port 443. 3. Username is the Windows login ({domain} account); approve the "
     "Microsoft Authenticator prompt. 4. The VPN group in AD is GG_VPN_Users; add new staff only with "
     "manager approval. 5. If it connects but {server} does not answer, check DNS suffix {domain} and "
     "routes. 6. Timeout for MFA is 60 seconds on the {firewall}."),
    ("printer", "{company}: {printer} setup, scan to email and common errors",
     "How the {printer} at {company} is set up for printing and scanning, and fixes for common problems.",
     "1. The printer has a DHCP reservation on {server}; if it shows offline, check the reservation and the "
     "TCP/IP port on the print server. 2. Driver: manufacturer universal PCL6, deployed via Group Policy "
     "printer preferences. 3. Scan to email uses the Microsoft 365 SMTP relay connector for {domain}; no "
     "password is stored on the printer. 4. Stuck queue: restart the Print Spooler on {server} and clear the "
     "spool folder. 5. Toner and service are through the copier vendor; the contract number is in "
     "documentation."),
    ("backup_failed", "{company}: {backup} backup runbook",
     "Backups at {company} use {backup} protecting {server}. What to do when the job fails or verification "
     "fails.",
     "1. Check the {backup} console for the failed job and error. 2. VSS errors: vssadmin list writers on "
     "{server}, restart the failed writer's service. 3. Storage full: check retention, remove retired "
     "agents. 4. Run a manual backup and confirm success. 5. Offsite/cloud copy must be under 48 hours old; "
     "escalate to the engineer on duty if not. 6. Quarterly test restore is scheduled on the Onboarding "
     "board."),
    ("software_install", "{company}: {app} client install and update procedure",
     "{company} runs {app}. Installing the client on a new workstation and applying vendor updates.",
     "1. Updates: schedule after hours, snapshot {server} first, apply the server/database update, then push "
     "the client update via RMM. 2. New workstation: install the client from \\\\{server}\\Install, sign in "
     "with the user's {app} account (created by the office manager). 3. 'Database version mismatch' means "
     "the client is older than the server: rerun the client installer. 4. Vendor support contact is in "
     "documentation; open a vendor case for data errors."),
    ("firewall", "{company}: {firewall} configuration notes",
     "Network edge at {company}: {firewall}, client VPN {vpn}, DHCP on {server}.",
     "1. Configuration backups are taken before every change and monthly; store them in documentation. "
     "2. Inbound rules are restricted by source IP and named with the ticket number. 3. Firmware follows the "
     "vendor's upgrade path during the monthly maintenance window. 4. The guest Wi-Fi is isolated on its own "
     "VLAN. 5. ISP and circuit IDs are in documentation for outage calls."),
    ("new_user", "{company}: new hire checklist",
     "Specific onboarding steps for {company} on top of the standard checklist.",
     "1. Copy groups from the 'same as' user; department groups are GG_<Dept>_RW. 2. Licence: Microsoft 365 "
     "Business Premium via group. 3. Create the user in {app} (office manager approves the role). 4. Add to "
     "GG_VPN_Users only if remote work is approved. 5. Laptop from stock enrolled in Intune; map the "
     "{printer}. 6. Day one: temporary password in person, MFA registration, quick tour of {app}."),
    ("password_reset", "{company}: identity verification for password and MFA resets",
     "Who can request password/MFA resets for {company} and how to verify identity.",
     "1. Call back the user at the direct number in the PSA contact record; never use a number given in the "
     "request. 2. If the user cannot be reached, the office manager may approve by phone. 3. Reset in AD on "
     "{server} and force an Entra Connect delta sync. 4. For MFA, issue a Temporary Access Pass. 5. Note "
     "the verification method in the ticket."),
    ("outlook", "{company}: mailbox and Outlook standards",
     "Mailbox quotas, archive and shared mailboxes at {company} ({domain}).",
     "1. Mailboxes are 50 GB with online archive; the 2-year archive policy applies to all users. 2. Shared "
     "mailboxes are granted by group with manager approval. 3. Outlook runs in cached mode (12 months). "
     "4. For password prompts reset the AAD broker and Credential Manager entries. 5. For sync problems "
     "rebuild the Outlook profile."),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One concrete problem within a topic. Each stage lists indexes into the topic's pool of that
    stage, or literal extra templates; an empty stage means the whole pool. ``kb`` is the index of
    the topic's KB article that documents the fix, if one does."""

    kb: int | None
    summaries: tuple[int | str, ...] = ()
    descriptions: tuple[int | str, ...] = ()
    updates: tuple[int | str, ...] = ()
    internal: tuple[int | str, ...] = ()
    resolutions: tuple[int | str, ...] = ()


S = Scenario
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "password_reset": (
        S(1, (1, 2, 3), (0, 2), (2,), (0, 1), (0, 1)),
        S(0, (0, 4, 5), (1, 3), (0, 1), (2,), (2,)),
    ),
    "mfa": (
        S(0, (0, 2, 4), (0, 2), (0, 1), (0,), (0,)),
        S(1, (1, 3), (1,), (
            "{first}, notifications for the Authenticator app were turned off on your phone. I walked you "
            "through turning them back on - approvals should pop up now.",), (1,), (1,)),
    ),
    "outlook": (
        S(0, (0, 5), (0,), (0,), (0,), (0,)),
        S(1, (1,), (1,), (2,), (1,), (1,)),
        S(2, (2,), (2,), (
            "Hi {first}, Windows Search had stopped indexing Outlook. I've rebuilt the index - give it a couple "
            "of hours to finish, then search should work again.",), (2,), (2,)),
        S(3, (3,), (3,), (2,), (3,), (3,)),
        S(None, (4,), (4,), (1,), (0,), (
            "Message exceeded the 25 MB send limit; moved it to Drafts and showed the user how to send a "
            "OneDrive sharing link instead. Outbox clear.",)),
    ),
    "teams": (
        S(1, (0,), (0,), (1,), (
            "Headset connected via the dock; Teams defaulted to the Realtek speakers after a driver update. Set "
            "the device in Teams > Settings > Devices and updated the Realtek driver via the OEM tool.",), (1,)),
        S(0, (2, 3), (1,), (0,), (0,), (0,)),
        S(1, (1, 4), (2, 3), (
            "{first}, a Windows update had switched off camera and screen-recording access for desktop apps. I "
            "turned it back on; please rejoin the meeting to test.",), (1,), (2,)),
    ),
    "onedrive": (
        S(0, (0, 2), (0, 3), (0,), (0,), (0,)),
        S(1, (1, 3), (1,), (1,), (1,), (1,)),
        S(0, (4,), (2,), (
            "Hi {first}, OneDrive was trying to keep far too many files in sync. I've stopped syncing the "
            "libraries you don't use and added shortcuts instead; it's catching up now.",), (2,), (2,)),
    ),
    "shared_mailbox": (
        S(0, (0, 1, 3), (0, 1, 3), (0, 1), (0, 1), (0,)),
        S(None, (2,), (2,), (
            "Hi {first}, {coworker} now has Editor access to your calendar. It may take a few minutes to show "
            "up for them.",), (
            "Add-MailboxFolderPermission -Identity {email}:\\Calendar -User <delegate> -AccessRights Editor "
            "-SharingPermissionFlags Delegate. Confirmed with Get-MailboxFolderPermission.",), (1,)),
    ),
    "printer": (
        S(0, (0, 3), (0,), (1,), (0,), (1,)),
        S(1, (1, 3), (1,), (0,), (1,), (0,)),
        S(2, (2,), (2,), (2,), (2,), (2,)),
        S(None, (4, 5), (3,), (
            "Hi {first}, the {printer} needs a hardware service. I logged a call with the copier vendor; "
            "their technician is booked for {day}.",), (
            "Error {err} is a hardware fault per the service manual - not remotely fixable. Vendor service "
            "call logged, meter reading attached.",), (
            "Hardware fault on the {printer} ({err}) repaired by the copier vendor under the service "
            "contract; test page OK.",)),
    ),
    "slow_pc": (
        S(0, (), (), (0,), (), (0,)),
        S(0, (0, 1), (0,), (1,), (0,), (1,)),
    ),
    "software_install": (
        S(0, (0, 1), (0,), (0,), (0,), (0,)),
        S(1, (3,), (1,), (1,), (1,), (1,)),
        S(1, (4,), (2,), (
            "Hi {first}, your {app} client was one version behind the server after last night's update. I "
            "reinstalled it - please try again.",), (2,), (2,)),
        S(1, (2,), (
            "I got a new computer and {app} isn't on it. Can you install it? I need it today.",), (
            "Hi {first}, {app} is installed on {host} and connected to the server. Log in with your usual "
            "{app} credentials.",), (
            "Installed the {app} client from \\\\{server}\\Install, pointed it at the database on {server}, "
            "tested login with the user.",), (
            "Installed the {app} client from the server's install share and verified login.",)),
    ),
    "phishing": (
        S(0, (0, 1, 3), (0,), (0,), (0,), (0,)),
        S(1, (2,), (1,), (1,), (1,), (1,)),
        S(0, (4,), (2,), (
            "Hi {first}, that's a scam - the owner didn't send it. Please don't reply or buy anything. I've "
            "blocked the sender and removed the email from everyone's inbox.",), (
            "BEC attempt from a lookalike Gmail address using the owner's display name. Blocked sender, added "
            "executive impersonation protection in the Defender anti-phishing policy.",), (0,)),
    ),
    "file_share": (
        S(0, (0, 2), (0, 2), (0,), (0,), (0,)),
        S(1, (1, 3), (1,), (1,), (1,), (1,)),
    ),
    "vpn": (
        S(0, (0, 1), (0,), (0,), (0,), (0,)),
        S(1, (2, 3), (1,), (1,), (1,), (1,)),
        S(0, (4,), (2,), (2,), (2,), (2,)),
    ),
    "license": (
        S(0, (2,), (0,), (0,), (
            "User had been removed from SG-M365-BP during a group cleanup. Re-added; ran the Office activation "
            "reset (SaRA) and signed back in.",), (0,)),
        S(1, (0, 3), (2,), (1,), (0,), (1,)),
        S(1, (1,), (1,), (
            "Hi {first}, I've sent you the renewal quote for the 12 Acrobat licenses. Once approved we'll renew "
            "before the expiry date so nobody loses access.",), (1,), (1,)),
    ),
    "wifi": (
        S(0, (0, 3), (0,), (0,), (0, 2), (0,)),
        S(1, (1,), (1,), (1,), (2,), (1,)),
        S(0, (2, 4), (2,), (
            "Hi {first}, guest Wi-Fi is back. A firmware update had broken the sign-in page; I re-applied the "
            "settings.",), (1,), (
            "Re-applied the guest SSID splash page configuration after the firmware update and rebooted the "
            "APs; guests can connect.",)),
    ),
    "firewall": (
        S(0, (1, 3), (0,), (0,), (0,), (0,)),
        S(1, (2,), (1,), (1,), (1,), (1,)),
        S(2, (0,), (2,), (2,), (2,), (2,)),
        S(0, (4,), (
            "Can you block gambling and social media sites on the office network? Management approved it.",), (
            "Hi {first}, those website categories are now blocked on the office network. Staff will see a "
            "block page; let me know if anything legitimate gets caught.",), (
            "Web filter profile updated on {firewall}: blocked Gambling and Social Networking (LinkedIn "
            "allowlisted). Config backed up first.",), (
            "Enabled the requested web-filter categories on the firewall after backing up the configuration; "
            "verified the block page.",)),
    ),
    "dns": (
        S(0, (0, 1), (0, 1), (0,), (0,), (0,)),
        S(1, (3,), (2,), (1,), (1,), (1,)),
        S(None, (2,), (
            "Since this morning some websites and our {app} server won't load by name. Typing the IP works.",), (
            "Hi {first}, the office DNS server was forwarding to an old provider. I updated it and everything "
            "should resolve again.",), (2,), (2,)),
    ),
    "internet_outage": (
        S(0, (0, 1, 2), (0,), (0, 1), (0,), (0,)),
        S(0, (3,), (1,), (1,), (1,), (1,)),
    ),
    "switch": (
        S(0, (0, 2), (0,), (0,), (1,), (0,)),
        S(0, (1,), (1,), (
            "Hi {first}, the switch ran out of power for the phones after the new access points were added. I "
            "moved some devices to the other switch and the phones are back.",), (0,), (1,)),
    ),
    "backup_failed": (
        S(0, (0, 1), (0,), (0, 1), (0,), (0,)),
        S(1, (3,), (
            "Backup alert from {backup}: offsite replication for {company} is 3 days behind. Local appliance "
            "storage at 94%.",), (0,), (1,), (1,)),
        S(2, (2,), (
            "Backup alert from {backup}: backup of {server} completed at {time} but screenshot verification "
            "failed. The recovery point may not be bootable.",), (0,), (2,), (2,)),
    ),
    "server_reboot": (
        S(0, (0, 1), (0, 1), (1,), (0, 2), (1,)),
        S(1, (2, 3), (2,), (0,), (1,), (0,)),
    ),
    "service_down": (
        S(0, (0, 2), (0,), (0,), (0, 1), (0,)),
        S(None, (1,), (1,), (1,), (
            "{proc} pegged the CPU; Defender was scanning the {app} database folder. Added the exclusion per "
            "vendor guidance; CPU back to normal.",), (1,)),
    ),
    "av_threat": (
        S(0, (0, 1, 3), (0,), (0,), (0,), (0,)),
        S(1, (2,), (1,), (1,), (1,), (1,)),
    ),
}
"""Topics not listed here have a single scenario: every pool, documented by KB article 0."""
