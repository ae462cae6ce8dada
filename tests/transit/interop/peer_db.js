// A Node.js Moleculer node with a moleculer-db service, for tests/transit/test_interop_db.py.
// Usage: node peer_db.js <moleculer dir> <transporter url> <namespace>
// Serves `authors` (moleculer-db, memory adapter, two seeded authors); calls the Python DbMixin `posts` service;
// waits for a line on stdin (the Python node knows `authors` by then), prints one JSON line of what it saw, then
// stops when another line arrives on stdin.
const path = require("path");
const [moleculerDir, url, namespace] = process.argv.slice(2);
const mod = name => require(path.join(moleculerDir, "node_modules", name));
const { ServiceBroker } = mod("moleculer");
const DbService = mod("moleculer-db");

const broker = new ServiceBroker({ nodeID: "js-db", namespace, transporter: url, logger: false });
broker.createService({
    name: "authors",
    mixins: [DbService],
    async afterConnected() {
        await this.adapter.insertMany([{ _id: "a1", name: "Ada" }, { _id: "a2", name: "Grace" }]);
    },
});

const describe = err => ({ cls: err.constructor.name, name: err.name, code: err.code, type: err.type, data: err.data });

async function main() {
    await broker.start();
    await broker.waitForServices("posts", 20000);
    await new Promise(resolve => process.stdin.once("data", resolve));
    const seen = {};
    const created = await broker.call("posts.create", { title: "From Node", author: "a1" });
    seen.created = created;
    seen.got = await broker.call("posts.get", { id: created._id, populate: ["author"] });
    seen.list = await broker.call("posts.list", {});
    try {
        await broker.call("posts.create", { title: 5 });
    } catch (err) {
        seen.invalid = describe(err);
    }
    try {
        await broker.call("posts.get", { id: "does-not-exist" });
    } catch (err) {
        seen.missing = describe(err);
    }
    console.log(JSON.stringify(seen));
    process.stdin.once("data", async () => {
        await broker.stop();
        process.exit(0);
    });
}

main().catch(err => {
    console.log(JSON.stringify({ fatal: String((err && err.stack) || err) }));
    process.exit(1);
});
