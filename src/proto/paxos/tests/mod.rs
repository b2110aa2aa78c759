//! Unit tests of the Multi-Paxos server without the simulator.
