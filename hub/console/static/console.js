// Asks before a form marked data-confirm is sent (deactivating a hotline, revoking a token).
"use strict";
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
