"""Drives the dashboard in a real Chromium (Selenium, headless) the way a person would, and saves a screenshot of
every page it visits. Used by scripts/dashboard-screenshots for docs/images; the end-to-end test will grow from it.

Usage: dashboard_journey.py LINK SCREENSHOT_DIR
LINK is the one-time link `sealgate serve` printed; the vault behind it is the throw-away one the wrapper made.
"""

import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main() -> None:
    link, shots = sys.argv[1], sys.argv[2]
    os.makedirs(shots, exist_ok=True)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    base = link.split("/login")[0]

    def shot(name: str) -> None:
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(max(height, 600), 2400))
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(shots, f"dashboard-{name}.png"))

    def submit(form_action: str, fields: dict) -> None:
        form = driver.find_element(By.CSS_SELECTOR, f'form[action="{form_action}"]')
        for name, value in fields.items():
            field = form.find_element(By.NAME, name)
            if field.tag_name == "select":
                field.find_element(By.CSS_SELECTOR, f'option[value="{value}"]').click()
            else:
                field.clear()
                field.send_keys(value)
        form.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    try:
        driver.get(link)
        if "Create a workspace" not in driver.page_source:
            raise SystemExit("the link did not open the dashboard: " + driver.page_source[:600])
        submit("/workspaces", {"name": "Acme Client", "slug": "acme"})
        if "issued-token" not in driver.page_source:
            raise SystemExit("no token page after creating a workspace: " + driver.page_source[:800])
        token = driver.find_element(By.ID, "issued-token").text
        assert token.startswith("mwt_"), token
        shot("token")
        driver.get(base + "/registry")
        submit("/registry/add", {"slug": "echo", "command": os.environ["SEALGATE_TEST_UPSTREAM"],
                                 "env": "API_KEY=${API_KEY}"})
        shot("registry")
        driver.get(base + "/w/acme")
        submit("/w/acme/servers/install", {"server": "echo"})
        submit("/w/acme/secrets/set", {"server": "echo", "name": "API_KEY", "value": "sk-demo-not-shown"})
        submit("/w/acme/featuresets/create", {"name": "readonly", "allow": "echo__echo"})
        assert "sk-demo-not-shown" not in driver.page_source
        shot("workspace")
        driver.get(base + "/")
        shot("overview")
        driver.get(base + "/w/acme/analytics")
        shot("analytics")
        driver.get(base + "/audit")
        shot("audit")
        print("journey done; token issued and used nowhere else")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
