// Package ui is the dashboard of `fnmesh up` at /ui/: server-rendered
// pages over the JSON API (package api) with their stylesheet and script
// embedded in the binary, so that it works offline.
//
// Pages: the overview of the functions (backlog, replicas, rates, error
// rate, last scaling decision), one function with its recent runs and
// failures, one event with its data, attributes, runs and trace, the dead
// letters with redrive and purge, and the triggers. /ui/stream is a
// server-sent event stream of runs and function figures that the pages
// follow live.
//
// When a token is set the dashboard takes it as the API does (a bearer
// header), or once through the login form or ?token=, which sets an
// HttpOnly, SameSite=Strict session cookie derived from the token. Every
// POST carries the page's CSRF token and must not come from another site.
package ui
