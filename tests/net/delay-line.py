"""A delay line between two TAP devices, for kernels built without netem (sch_netem).

Usage: delay-line.py INNER OUTER DELAY_MS LOSS_PCT

Makes two TAP devices, INNER and OUTER, in the namespace it runs in, prints "ready", then copies
every Ethernet frame between them: frames read from INNER reach OUTER DELAY_MS later, and
LOSS_PCT percent of them are dropped; frames from OUTER reach INNER at once. That is what
`tc qdisc add dev INNER root netem delay DELAY_MS loss LOSS_PCT%` does to INNER's egress. The
caller moves INNER into the router's namespace as its WAN and puts OUTER on the internet bridge.

TAP devices, unlike veth, offer the stack no checksum or segmentation offload, so every frame
read here is whole and checksummed, and every frame written is taken as it is.
"""
import collections
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def write(fd, frame):
    try:
        os.write(fd, frame)
    except OSError:
        # A device that is down, or a full queue: the frame is lost, as on a wire.
        pass


def main():
    inner_name, outer_name = sys.argv[1], sys.argv[2]
    delay = float(sys.argv[3]) / 1000.0
    loss = float(sys.argv[4]) / 100.0
    inner, outer = tap(inner_name), tap(outer_name)
    print("ready", flush=True)
    # A constant delay keeps frames in order, so a FIFO of (due, frame) is the whole schedule.
    queue = collections.deque()
    while True:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            write(outer, queue.popleft()[1])
        timeout = max(0.0, queue[0][0] - now) if queue else None
        ready, _, _ = select.select([inner, outer], [], [], timeout)
        for fd in ready:
            for _ in range(256):
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                if fd == outer:
                    write(inner, frame)
                elif random.random() >= loss:
                    if delay > 0:
                        queue.append((time.monotonic() + delay, frame))
                    else:
                        write(outer, frame)


if __name__ == "__main__":
    main()
