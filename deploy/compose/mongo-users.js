// docker compose: mongo-init runs this with the admin; the same script as deploy/k8s/base/data-init (mongodb-users)
const services = ["INTAKE", "SCAN_OCR", "CATALOG", "ARCHIVE", "ACCESS_CONTROL", "NOTIFIER"];
for (const name of services) {
  const url = process.env[name + "_MONGO_URL"];
  const m = /^mongodb:\/\/([^:]+):([^@]+)@[^/]+\/([^?]+)/.exec(url || "");
  if (!m) throw new Error(name + "_MONGO_URL is not mongodb://user:password@host/database?...");
  const [user, password, database] = [decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3]];
  const target = db.getSiblingDB(database);
  const roles = [{ role: "readWrite", db: database }];  // its own database, nothing else
  if (target.getUser(user)) {
    target.updateUser(user, { pwd: password, roles: roles });
  } else {
    target.createUser({ user: user, pwd: password, roles: roles });
  }
  print("user " + user + ": readWrite on " + database);
}
