//! Named bugs, shared by every protocol that has them: a set of switchable departures from
//! the algorithm, each known by its name, so a scenario can switch one on for a whole run and
//! a `bug` fault can deploy (or take back) a build with it mid-run.

use eightfold_sim::fault::SettingsPatch;

/// A protocol's set of named bugs ([`crate::raft::RaftBugs`], [`crate::paxos::PaxosBugs`]):
/// each implements the two lookups by name; the rest comes with the trait.
pub trait NamedBugs: Default {
    /// The names of the bugs switched on, in the set's order, for the parameter listing.
    fn enabled(&self) -> Vec<&'static str>;

    /// Switches bug `name` on or off; `false` if the set has no such bug.
    fn set(&mut self, name: &str, on: bool) -> bool;

    /// Switches bug `name` on; `false` if the set has no such bug.
    fn enable(&mut self, name: &str) -> bool {
        self.set(name, true)
    }

    /// Switches on every bug `on` has, then off every bug `off` has.
    fn switch(&mut self, on: &Self, off: &Self) {
        for name in on.enabled() {
            self.set(name, true);
        }
        for name in off.enabled() {
            self.set(name, false);
        }
    }

    /// The bugs a deployed build switches on and off (`bug:NAME` settings of a `bug` fault,
    /// [`eightfold_sim::fault::Setting::bug`]); `None` if the patch holds anything else, or a
    /// bug this set does not have.
    fn from_settings(p: &SettingsPatch) -> Option<(Self, Self)> {
        let (mut on, mut off) = (Self::default(), Self::default());
        for s in p.iter() {
            let (name, value) = s.as_bug()?;
            let known = if value { on.set(name, true) } else { off.set(name, true) };
            if !known {
                return None;
            }
        }
        Some((on, off))
    }
}
