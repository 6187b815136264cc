"""A claude-jobs server over stdio for the bench scripts: started with a config, initialized,
called tool by tool with the round trip timed."""
import json, os, subprocess, time


class StdioServer:
    def __init__(self, bin_dir, state, config, protocol="2025-06-18"):
        """config: the server's config (stateDir is set to state); written to state/config.json.
        protocol: the MCP version asked for in initialize."""
        cfg = os.path.join(state, "config.json")
        with open(cfg, "w") as f:
            json.dump(dict(config, stateDir=state), f)
        self.state = state
        self.p = subprocess.Popen([os.path.join(bin_dir, "claude-jobs"), "--config", cfg],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.id = 0
        self.last_line = ""
        self.call("initialize", {"protocolVersion": protocol, "capabilities": {},
                                 "clientInfo": {"name": "bench", "version": "1"}})
        self.p.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")

    def call(self, method, params):
        self.id += 1
        self.p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method,
                                       "params": params}) + "\n")
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            msg = json.loads(line)
            if msg.get("id") == self.id:
                self.last_line = line
                return msg

    def tool(self, name, args):
        """(round trip in ms, structuredContent); a tool error raises."""
        t = time.perf_counter()
        r = self.call("tools/call", {"name": name, "arguments": args})
        ms = (time.perf_counter() - t) * 1000
        if r["result"].get("isError"):
            raise RuntimeError(json.dumps(r["result"]["structuredContent"]))
        return ms, r["result"]["structuredContent"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)
