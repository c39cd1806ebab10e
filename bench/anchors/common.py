"""What the anchor scripts share: the seed's events, timing and the JSON line they print.

Events are generated before the clock starts (our producer generates and serialises its events
inside its timed loop), so an anchor's rate is the client's alone.
"""
import json
import random
import sys
import time
from datetime import datetime, timezone

PAGES = ["/accueil", "/produits", "/panier", "/promotions", "/compte", "/contact"]
QUERIES = ["smartphone", "ordinateur portable", "casque sans fil", "montre connectée", "promo",
           "livraison gratuite"]
CATALOG = [("smartphone", 699.0), ("ordinateur", 1199.0), ("tablette", 449.0), ("casque", 129.0),
           ("montre", 249.0), ("clavier", 79.0), ("souris", 39.0), ("écran", 289.0)]


def events(count, users=5, seed=1):
    """`count` (key, value) pairs: the seed's JSON keyed by user, as our generator makes them."""
    rng = random.Random(seed)
    sessions = {}
    out = []
    for _ in range(count):
        user = f"user{rng.randint(1, users)}"
        extra = {}
        if user not in sessions:
            kind = "connexion"
            sessions[user] = f"session_{rng.randint(1000, 9999)}"
            session = sessions[user]
        else:
            session = sessions[user]
            roll = rng.randrange(100)
            if roll < 45:
                kind, extra = "navigation", {"page": rng.choice(PAGES)}
            elif roll < 70:
                kind, extra = "recherche", {"query": rng.choice(QUERIES)}
            elif roll < 85:
                product, price = rng.choice(CATALOG)
                kind = "achat"
                extra = {"product": product, "price": round(price * rng.uniform(0.9, 1.1), 2)}
            else:
                kind = "déconnexion"
                del sessions[user]
        stamp = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
        event = {"timestamp": stamp, "user_id": user, "event_type": kind, "session_id": session,
                 **extra}
        value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        out.append((user.encode(), value))
    return out


def rss_kb():
    """This process's resident set size now (VmRSS), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def report(**fields):
    """Prints the anchor's result as one JSON line on stdout."""
    fields["rss_after_kb"] = rss_kb()
    print(json.dumps(fields), flush=True)


def now():
    return time.perf_counter()


def log(*args):
    print(*args, file=sys.stderr, flush=True)
