"""Small shared pieces written once: ids, money, time, urls, forms, routing. They know no
domain: nothing here imports a domain package."""
