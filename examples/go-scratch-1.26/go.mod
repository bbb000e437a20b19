module my-service

go 1.26
