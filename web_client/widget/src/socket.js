/*
 * The widget's own socket.io client (never the page's window.io: a shop may load another
 * version). A chunk of its own, ~13 KB gzipped: fetched when a case starts or resumes, and
 * early when the customer reaches for the Help button, so the first load stays small.
 */
export { io } from "socket.io-client";
