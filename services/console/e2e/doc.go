// Package e2e drives the web console in a real headless Chromium against
// the system as `make run` starts it: the launcher with its demo city, on
// free ports, its data in a temporary folder. The tests sign in as the
// people who use the console (a district administrator, a member, the
// administrator of another district, a community secretary, an inspector),
// take a transfer through its three parties, register members, export and
// read back workbooks, see charts drawn, answer a rectification item and
// accept it, take a ledger item through its steps, preview a rule, and
// check the main pages with axe-core. Each test saves a screenshot when it
// fails.
package e2e
