// The reader's predictions (compression_answers.predictions renders them): a choice is checked
// only when the reader asks, can be changed and started again, and is kept in this browser.
document.querySelectorAll("form.prediction").forEach((form) => {
  const key = `prediction:${location.pathname}#${form.id}`;
  const feedback = form.querySelector(".prediction-feedback");
  const status = form.querySelector(".prediction-status");
  const options = [...form.querySelectorAll("input[type=radio]")];

  const show = (chosen) => {
    const right = chosen.hasAttribute("data-right");
    options.forEach((input) => {
      const option = input.closest(".prediction-option");
      option.classList.toggle("prediction-right", input.hasAttribute("data-right"));
      option.classList.toggle("prediction-wrong", input === chosen && !right);
    });
    status.textContent = right
      ? "Right: the run agrees with you."
      : "Not this one: the run's answer is marked.";
    feedback.hidden = false;
  };

  const clear = () => {
    options.forEach((input) => {
      input.closest(".prediction-option").classList.remove("prediction-right", "prediction-wrong");
    });
    feedback.hidden = true;
    status.textContent = "";
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = options.find((input) => input.checked);
    if (!chosen) {
      status.textContent = "Choose an option first.";
      return;
    }
    show(chosen);
    localStorage.setItem(key, chosen.value);
  });
  // Changing the choice (a click, or an arrow key) takes back the check, never commits one.
  options.forEach((input) => input.addEventListener("change", clear));
  form.addEventListener("reset", () => {
    clear();
    localStorage.removeItem(key);
  });

  const kept = options.find((input) => input.value === localStorage.getItem(key));
  if (kept) {
    kept.checked = true;
    show(kept);
  }
});
