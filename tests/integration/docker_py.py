"""docker-py against minirun serve's Docker-compatible API.

Usage: docker_py.py SOCKET IMAGE NAME SUBNET.  Prints one line per check and
exits non-zero with a message at the first that fails; SUBNET (a free /24)
is the one of the network it makes.
"""

import socket
import sys
import time
import urllib.request

import docker


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok: " + what)


def main():
    sock, image, name, subnet = sys.argv[1:5]
    client = docker.DockerClient(base_url="unix://" + sock, version="auto", timeout=30)
    check(client.version()["ApiVersion"] == "1.47", "version negotiated")

    ctr = client.containers.run(
        image,
        ["sh", "-c", "echo hello; echo oops >&2; sleep 100"],
        detach=True,
        name=name,
        environment={"GREETING": "hi"},
        labels={"suite": "docker-py"},
    )
    check(ctr.id == name, "containers.run(detach=True) returns the container")

    listed = [c.name for c in client.containers.list(filters={"label": "suite=docker-py"})]
    check(listed == [name], "containers.list with a label filter: %r" % listed)

    got = client.containers.get(name)
    check(got.status == "running", "containers.get: status %s" % got.status)
    check("GREETING=hi" in got.attrs["Config"]["Env"], "attrs Config.Env")

    deadline = time.time() + 5
    logs = b""
    while time.time() < deadline and b"oops" not in logs:
        logs = got.logs()
        time.sleep(0.1)
    check(logs == b"hello\noops\n", "logs: %r" % logs)
    check(got.logs(stderr=False) == b"hello\n", "logs(stderr=False)")

    res = got.exec_run(["sh", "-c", "echo $GREETING; exit 4"])
    check(res.exit_code == 4 and res.output == b"hi\n", "exec_run: %r" % (res,))

    got.stop(timeout=1)
    got.reload()
    check(got.status == "exited", "stop: status %s" % got.status)
    waited = got.wait()
    check(waited["StatusCode"] == 137 and waited["Error"] is None, "wait: %r" % waited)

    got.remove()
    try:
        client.containers.get(name)
        check(False, "a removed container is gone")
    except docker.errors.NotFound:
        check(True, "a removed container is gone")

    try:
        client.containers.run("no-such-image-anywhere:1", "true", detach=True)
        check(False, "an unknown image is refused")
    except docker.errors.ImageNotFound:
        check(True, "an unknown image is refused (ImageNotFound)")
    except docker.errors.APIError as e:
        check(e.status_code in (404, 501), "an unknown image is refused: %s" % e)

    # a published port, as docker-py spells it, answers through the host
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    web = client.containers.run(
        image,
        ["sh", "-c", "mkdir -p /www && echo hello-py >/www/index.html && "
         "exec /bin/busybox httpd -f -p 80 -h /www"],
        detach=True,
        name=name + "-web",
        ports={"80/tcp": port},
    )
    try:
        web.reload()
        check(web.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(port)}]},
              "ports={'80/tcp': %d}: %r" % (port, web.ports))
        body = b""
        deadline = time.time() + 10
        while time.time() < deadline and b"hello-py" not in body:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=2) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.2)
        check(body == b"hello-py\n", "a request through the published port: %r" % body)
    finally:
        web.remove(force=True)

    tags = [t for i in client.images.list() for t in i.tags]
    check(image + ":latest" in tags, "images.list: %r" % tags)

    networks(client, image, name, subnet)


def networks(client, image, name, subnet):
    netname = name + "-net"
    gateway = subnet.rsplit(".", 1)[0] + ".1"
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
    net = client.networks.create(netname, driver="bridge", ipam=ipam)
    try:
        check(net.name == netname and len(net.id) == 64, "networks.create: %r" % net.attrs)
        listed = [n.name for n in client.networks.list(names=[netname])]
        check(listed == [netname], "networks.list(names=...): %r" % listed)
        by_id = [n.name for n in client.networks.list(ids=[net.id])]
        check(by_id == [netname], "networks.list(ids=...): %r" % by_id)
        got = client.networks.get(netname)
        config = got.attrs["IPAM"]["Config"][0]
        check(got.id == net.id and config["Subnet"] == subnet and config["Gateway"] == gateway,
              "networks.get: %r" % got.attrs)
        try:
            client.networks.create(netname)
            check(False, "a name taken is refused")
        except docker.errors.APIError as e:
            check(e.status_code == 409, "a name taken is refused: %s" % e)

        ctr = client.containers.run(image, ["sleep", "100"], detach=True, name=name + "-on",
                                    network=netname)
        try:
            ctr.reload()
            addr = ctr.attrs["NetworkSettings"]["Networks"][netname]["IPAddress"]
            check(addr.startswith(subnet.rsplit(".", 1)[0] + "."),
                  "containers.run(network=...): %s" % addr)
            got.reload()
            check([c.name for c in got.containers] == [name + "-on"],
                  "Network.containers: %r" % got.attrs["Containers"])
            try:
                got.remove()
                check(False, "a network in use is kept")
            except docker.errors.APIError as e:
                check(e.status_code == 403 and (name + "-on") in str(e),
                      "a network in use is kept: %s" % e)
            try:
                got.connect(ctr)
                check(False, "connect is refused")
            except docker.errors.APIError as e:
                check(e.status_code == 501, "connect is refused: %s" % e)
        finally:
            ctr.remove(force=True)
    finally:
        net.remove()
    try:
        client.networks.get(netname)
        check(False, "a removed network is gone")
    except docker.errors.NotFound:
        check(True, "a removed network is gone (NotFound)")


if __name__ == "__main__":
    main()
