// A Node.js Moleculer node for the interop tests (tests/transit/test_interop.py).
// Usage: node peer.js <moleculer dir> <nats url> <namespace>
// Serves greeter.hello / greeter.fail, calls the Python node's py.add, exchanges events, prints one JSON line
// of what it saw; when a line arrives on stdin, prints the nodes it saw leave and stops.
const path = require("path");
const [moleculerDir, natsUrl, namespace] = process.argv.slice(2);
const { ServiceBroker, Errors } = require(path.join(moleculerDir, "node_modules", "moleculer"));

const seen = { pyEvents: [], disconnected: [] };
const broker = new ServiceBroker({
    nodeID: "js-node",
    namespace,
    transporter: natsUrl,
    logger: false,
});

broker.createService({
    name: "greeter",
    actions: {
        hello(ctx) {
            ctx.meta.answeredBy = "js";
            return `Hello ${ctx.params.name}`;
        },
        fail() {
            throw new Errors.MoleculerClientError("Bad thing", 400, "BAD_THING", { x: 1 });
        },
    },
    events: {
        "py.happened"(ctx) {
            seen.pyEvents.push({ data: ctx.params, type: ctx.eventType });
        },
        "$node.disconnected"(ctx) {
            seen.disconnected.push({ id: ctx.params.node.id, unexpected: ctx.params.unexpected });
        },
    },
});

async function main() {
    await broker.start();
    await broker.waitForServices("py", 20000);
    const meta = { m: 1 };
    seen.add = await broker.call("py.add", { a: 2, b: 3 }, { meta });
    seen.meta = meta;
    try {
        await broker.call("py.add", { a: "x", b: 3 });
    } catch (err) {
        seen.invalid = { cls: err.constructor.name, code: err.code, type: err.type, field: err.data && err.data[0] && err.data[0].field };
    }
    try {
        await broker.call("py.missing_item");
    } catch (err) {
        seen.notFound = { cls: err.constructor.name, code: err.code };
    }
    broker.emit("js.happened", { from: "js" });
    for (let i = 0; i < 200 && seen.pyEvents.length === 0; i++) await new Promise(r => setTimeout(r, 50));
    console.log(JSON.stringify(seen));
    process.stdin.once("data", async () => {
        console.log(JSON.stringify(seen.disconnected));
        await broker.stop();
        process.exit(0);
    });
}

main().catch(err => {
    console.log(JSON.stringify({ fatal: String(err && err.stack || err) }));
    process.exit(1);
});
