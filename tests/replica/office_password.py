"""Save a document as a password-protected Word 97 file, through LibreOffice's UNO bridge.

Run by Debian's own python3 (python3-uno; the project's virtualenv has no UNO):
`python3 office_password.py SOURCE TARGET PASSWORD`. `soffice --convert-to` has no way to
set a password, so the replica's password-protected DOC is saved with storeToURL's Password.
"""

import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(source, target, password):
    work = os.path.dirname(target)
    pipe = f"govcrawl_replica_{os.getpid()}"
    office = subprocess.Popen(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless",
                               "--norestore", f"--accept=pipe,name={pipe};urp;"])  # fmt: skip
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(150):  # LibreOffice takes a few seconds to listen
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.2)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (prop("Hidden", True),))
        document.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", "MS Word 97"), prop("Password", password)))
        document.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge drops as LibreOffice quits
            pass
        office.wait(timeout=30)
    finally:
        if office.poll() is None:
            office.kill()


if __name__ == "__main__":
    main(*sys.argv[1:4])
