"""Edit a workbook in a real LibreOffice Calc, as a person would, and save it as .xlsx.

Run with the system Python that has LibreOffice's `uno` module (Debian's python3-uno), not the
project's virtual environment:

    /usr/bin/python3 actions/tests/libreoffice_edit.py IN.xlsx OUT.xlsx PASSWORD EDITS.json

EDITS.json is a list of steps:
    {"type": ["B7", "40 %"]}        type a value into a cell, as on the keyboard (Calc reads it)
    {"sort": ["A2:K30", 1, false]}  sort a selected range on its column 1 (0-based), descending
The sheet is unprotected with PASSWORD first, as a person must do to sort, and protected again.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def _property(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _attempt in range(120):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # noqa: BLE001 - LibreOffice is still starting
            time.sleep(0.5)
    raise SystemExit("LibreOffice did not start")


# Settings a person may have and that the edits do not need: what LibreOffice does by itself in
# idle time (online spelling of the typed text, completing it from the column, saving recovery
# copies) runs on timers that a loaded machine's headless LibreOffice has been seen to abort in.
QUIET_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Linguistic/SpellChecking"><prop oor:name="IsSpellAuto" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Input"><prop oor:name="AutoInput" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Recovery/AutoSave"><prop oor:name="Enabled" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Recovery/RecoveryInfo"><prop oor:name="Enabled" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def main(source, target, password, edits_path):
    with open(edits_path, encoding="utf-8") as stream:
        edits = json.load(stream)
    profile = tempfile.mkdtemp()
    os.makedirs(os.path.join(profile, "user"))
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w", encoding="utf-8") as stream:
        stream.write(QUIET_PROFILE)
    # LibreOffice opens a copy of its own: a run that was stopped leaves its lock file
    # (".~lock.NAME#") beside the file it opened, and a headless LibreOffice then opens nothing.
    opened = os.path.join(profile, os.path.basename(source))
    shutil.copyfile(source, opened)
    pipe = f"tracker{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;",
        ]
    )
    try:
        context = _connect(pipe)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        dispatcher = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
        # Just after it starts answering, a loaded machine's LibreOffice may still be setting
        # itself up and open nothing: it is asked again for up to half a minute.
        document = None
        for _attempt in range(30):
            try:
                document = desktop.loadComponentFromURL(
                    uno.systemPathToFileUrl(opened), "_blank", 0, (_property("Hidden", True),)
                )
            except Exception:  # noqa: BLE001 - not ready yet
                document = None
            if document is not None:
                break
            time.sleep(1)
        if document is None:
            raise SystemExit(f"LibreOffice could not open {source}")
        sheet = document.Sheets.getByIndex(0)
        sheet.unprotect(password)
        controller = document.CurrentController
        frame = controller.Frame
        for edit in edits:
            if "type" in edit:
                address, text = edit["type"]
                controller.select(sheet.getCellRangeByName(address))
                dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (_property("StringName", text),))
            elif "sort" in edit:
                address, column, ascending = edit["sort"]
                cells = sheet.getCellRangeByName(address)
                field = uno.createUnoStruct("com.sun.star.table.TableSortField")
                field.Field, field.IsAscending = column, ascending
                cells.sort((_property("SortFields", uno.Any("[]com.sun.star.table.TableSortField", (field,))),))
        sheet.protect(password)
        document.storeToURL(
            uno.systemPathToFileUrl(os.path.abspath(target)), (_property("FilterName", "Calc MS Excel 2007 XML"),)
        )
        try:
            document.close(True)
        except Exception:  # noqa: BLE001 - the file is saved; LibreOffice sometimes fails while closing
            pass
    finally:
        office.terminate()
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
