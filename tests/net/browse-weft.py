"""Browses _weft._tcp.local. with python-zeroconf for a few seconds and prints each service found
as one JSON line: what a standard mDNS tool, not written with weft, makes of its announcement."""
import json
import sys
import time

from zeroconf import ServiceBrowser, Zeroconf

TYPE = "_weft._tcp.local."
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
zc = Zeroconf()
found = {}


class Listener:
    def add_service(self, zc, type_, name):
        info = zc.get_service_info(type_, name, timeout=2000)
        if info is None:
            return
        txt = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
        found[name] = {"name": name, "port": info.port, "txt": txt, "addresses": info.parsed_addresses()}
        print(json.dumps(found[name]), flush=True)

    def update_service(self, zc, type_, name):
        self.add_service(zc, type_, name)

    def remove_service(self, zc, type_, name):
        pass


ServiceBrowser(zc, TYPE, Listener())
time.sleep(seconds)
zc.close()
