//! A seedable simulation of shoppers.
//!
//! Each user is either logged out or inside a session: a session opens with `connexion`, carries
//! one `session_id` through its navigation, searches and purchases, and closes with
//! `déconnexion`. The same seed gives the same sequence of events; only timestamps differ,
//! because they are the wall clock at generation time.

use chrono::{DateTime, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::event::{Action, Event};

/// Products on sale and their list price in euros; a sale is within ±10% of it.
pub const CATALOG: [(&str, f64); 8] = [
    ("smartphone", 699.0),
    ("ordinateur", 1199.0),
    ("tablette", 449.0),
    ("casque", 129.0),
    ("montre", 249.0),
    ("clavier", 79.0),
    ("souris", 39.0),
    ("écran", 289.0),
];

/// Pages a user can visit.
pub const PAGES: [&str; 6] = [
    "/accueil",
    "/produits",
    "/panier",
    "/promotions",
    "/compte",
    "/contact",
];

/// What users type in the search box.
pub const QUERIES: [&str; 6] = [
    "smartphone",
    "ordinateur portable",
    "casque sans fil",
    "montre connectée",
    "promo",
    "livraison gratuite",
];

/// Generates plausible events for `user1`..`userN`.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    users: Vec<User>,
}

#[derive(Debug)]
struct User {
    id: String,
    /// The open session, if the user is logged in.
    session: Option<String>,
}

impl Generator {
    /// A generator for `users` users (at least one); `seed` makes the sequence reproducible.
    pub fn new(users: usize, seed: Option<u64>) -> Generator {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let users = (1..=users.max(1))
            .map(|n| User {
                id: format!("user{n}"),
                session: None,
            })
            .collect();
        Generator { rng, users }
    }

    /// The next event, stamped `now`.
    pub fn next_event(&mut self, now: DateTime<Utc>) -> Event {
        let index = self.rng.random_range(0..self.users.len());
        let action = self.next_action(index);
        let user = &mut self.users[index];
        let session_id = match &action {
            Action::Connexion => {
                let id = format!("session_{:04}", self.rng.random_range(1000..10000));
                user.session.insert(id).clone()
            }
            Action::Deconnexion => user.session.take().expect("only logged-in users log out"),
            _ => user.session.clone().expect("only logged-in users act"),
        };
        Event {
            timestamp: now,
            user_id: user.id.clone(),
            session_id,
            action,
        }
    }

    /// Logged-out users log in; logged-in users mostly browse, sometimes search, buy or leave.
    fn next_action(&mut self, user: usize) -> Action {
        if self.users[user].session.is_none() {
            return Action::Connexion;
        }
        match self.rng.random_range(0..100) {
            0..45 => Action::Navigation {
                page: PAGES[self.rng.random_range(0..PAGES.len())].to_string(),
            },
            45..70 => Action::Recherche {
                query: QUERIES[self.rng.random_range(0..QUERIES.len())].to_string(),
            },
            70..85 => {
                let (product, list_price) = CATALOG[self.rng.random_range(0..CATALOG.len())];
                let price = list_price * self.rng.random_range(0.9..1.1);
                Action::Achat {
                    product: product.to_string(),
                    price: (price * 100.0).round() / 100.0,
                }
            }
            _ => Action::Deconnexion,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::event::EventType;

    fn sequence(seed: u64, n: usize) -> Vec<Event> {
        let mut generator = Generator::new(5, Some(seed));
        (0..n).map(|_| generator.next_event(Utc::now())).collect()
    }

    fn without_timestamps(events: &[Event]) -> Vec<(String, String, Action)> {
        events
            .iter()
            .map(|e| (e.user_id.clone(), e.session_id.clone(), e.action.clone()))
            .collect()
    }

    #[test]
    fn same_seed_same_events_other_seed_other_events() {
        let a = without_timestamps(&sequence(42, 500));
        assert_eq!(a, without_timestamps(&sequence(42, 500)));
        assert_ne!(a, without_timestamps(&sequence(43, 500)));
    }

    #[test]
    fn sessions_open_with_connexion_and_close_with_deconnexion() {
        let mut open: HashMap<String, String> = HashMap::new();
        for event in sequence(7, 5_000) {
            let current = open.get(&event.user_id);
            match event.event_type() {
                EventType::Connexion => {
                    assert!(current.is_none(), "{} logged in twice", event.user_id);
                    open.insert(event.user_id.clone(), event.session_id.clone());
                }
                EventType::Deconnexion => {
                    assert_eq!(current, Some(&event.session_id));
                    open.remove(&event.user_id);
                }
                _ => assert_eq!(current, Some(&event.session_id)),
            }
        }
    }

    #[test]
    fn ids_and_prices_are_well_formed() {
        for event in sequence(3, 2_000) {
            let digits = event.session_id.strip_prefix("session_").unwrap();
            assert!(digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()));
            assert!(matches!(
                event.user_id.as_str(),
                "user1" | "user2" | "user3" | "user4" | "user5"
            ));
            if let Action::Achat { product, price } = &event.action {
                let list = CATALOG.iter().find(|(name, _)| name == product).unwrap().1;
                assert!((list * 0.9 - 0.01..=list * 1.1 + 0.01).contains(price));
                assert_eq!((price * 100.0).round() / 100.0, *price);
            }
        }
    }

    #[test]
    fn every_event_type_appears() {
        let events = sequence(11, 1_000);
        for kind in EventType::ALL {
            assert!(
                events.iter().any(|e| e.event_type() == kind),
                "{kind} never generated"
            );
        }
    }
}
