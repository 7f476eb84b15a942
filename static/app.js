// Small behaviours for every page, from this site only (the Content-Security-Policy refuses
// inline handlers): a <select data-autosubmit> submits its form when changed.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-autosubmit]") && event.target.form) {
    event.target.form.submit();
  }
});
