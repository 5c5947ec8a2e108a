// Package e2e drives the web console in a real headless Chromium against
// the system as `make run` starts it: the launcher with its demo city, on
// free ports, its data in a temporary folder. The tests sign in as the
// people who use the console (a district administrator, a member, the
// administrator of another district), take a transfer through its three
// parties, register members, export and read back a workbook, see a chart
// drawn, and check the main pages with axe-core. Each test saves a
// screenshot when it fails.
package e2e
