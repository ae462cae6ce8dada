// Node.js side of bench/transit_bench.py. Usage: node transit_bench.js <moleculer dir> <nats url> <namespace>
//   <mode: "js-js" | "js-py"> <sequential calls> <in-flight calls>
// "js-js": two brokers in this process, one serving bench.echo; "js-py": a caller only (Python serves bench.echo).
// Prints one JSON line {"sequential": calls/s, "inflight": calls/s}.
const path = require("path");
const [dir, url, namespace, mode, seqN, parN] = process.argv.slice(2);
const { ServiceBroker } = require(path.join(dir, "node_modules", "moleculer"));

async function main() {
    const caller = new ServiceBroker({ nodeID: "bench-js-caller", namespace, transporter: url, logger: false });
    const brokers = [caller];
    if (mode === "js-js") {
        const server = new ServiceBroker({ nodeID: "bench-js-server", namespace, transporter: url, logger: false });
        server.createService({ name: "bench", actions: { echo: ctx => ctx.params } });
        brokers.push(server);
    }
    await Promise.all(brokers.map(b => b.start()));
    await caller.waitForServices("bench", 20000);
    const params = { a: 1, b: "two" };
    for (let i = 0; i < 200; i++) await caller.call("bench.echo", params);
    let start = process.hrtime.bigint();
    for (let i = 0; i < Number(seqN); i++) await caller.call("bench.echo", params);
    const sequential = Number(seqN) / (Number(process.hrtime.bigint() - start) / 1e9);
    start = process.hrtime.bigint();
    for (let done = 0; done < Number(parN); done += 100) {
        await Promise.all(Array.from({ length: 100 }, () => caller.call("bench.echo", params)));
    }
    const inflight = Number(parN) / (Number(process.hrtime.bigint() - start) / 1e9);
    console.log(JSON.stringify({ sequential, inflight }));
    await Promise.all(brokers.map(b => b.stop()));
}

main().catch(err => {
    console.error(err);
    process.exit(1);
});
